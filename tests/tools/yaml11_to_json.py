#!/usr/bin/env python3
"""Reads YAML files with PyYAML (a YAML 1.1 reader) and prints their documents as JSON.

Usage: yaml11_to_json.py FILE...  ->  {"FILE": [doc, ...] | {"$error": "..."}, ...}

Used by tests/yaml_safety.rs, which reads the same files with a YAML 1.2 reader and compares.
The normalisation must match the Rust side (`normalise` in tests/yaml_safety.rs):
  - an application tag (`!Find x`) becomes {"!Find": x};
  - a non-string mapping key becomes "$key:" + its JSON (so `on:` read as True is visible);
  - timestamps become {"$timestamp": iso}, non-finite floats {"$float": "inf"|"-inf"|"nan"},
    binary {"$binary": base64}.
"""
import base64
import datetime
import json
import math
import sys

import yaml


class Loader(yaml.SafeLoader):
    pass


def _tagged(loader, tag_suffix, node):
    tag = node.tag
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {tag: value}


Loader.add_multi_constructor("!", _tagged)


def norm(v):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return {"$float": "nan"}
        if math.isinf(v):
            return {"$float": "inf" if v > 0 else "-inf"}
        return v
    if isinstance(v, (datetime.date, datetime.datetime)):
        return {"$timestamp": v.isoformat()}
    if isinstance(v, bytes):
        return {"$binary": base64.b64encode(v).decode()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            key = k if isinstance(k, str) else "$key:" + json.dumps(norm(k), sort_keys=True)
            out[key] = norm(x)
        return out
    return {"$python": repr(v)}


def main():
    result = {}
    for path in sys.argv[1:]:
        try:
            with open(path, "rb") as f:
                docs = list(yaml.load_all(f, Loader=Loader))
            result[path] = [norm(d) for d in docs]
        except Exception as e:  # the Rust side reports the file and the message
            result[path] = {"$error": f"{type(e).__name__}: {e}"}
    json.dump(result, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
