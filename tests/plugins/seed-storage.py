#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The exec plugin protocol as the seed README documents it (request field
# "operation"), file-backed like the README's example; the directory is argv[1]
# instead of a fixed /var/lib/stunmesh so tests can use a temporary one.
import json
import os
import sys

STORAGE_DIR = sys.argv[1]


def get_value(key):
    try:
        with open(os.path.join(STORAGE_DIR, f"{key}.txt")) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def set_value(key, value):
    os.makedirs(STORAGE_DIR, exist_ok=True)
    with open(os.path.join(STORAGE_DIR, f"{key}.txt"), "w") as f:
        f.write(value)


def main():
    try:
        request = json.load(sys.stdin)
        operation = request.get("operation")
        key = request.get("key")
        if operation == "get":
            value = get_value(key)
            if value is not None:
                response = {"success": True, "value": value}
            else:
                response = {"success": False, "error": "Key not found"}
        elif operation == "set":
            set_value(key, request.get("value"))
            response = {"success": True}
        else:
            response = {"success": False, "error": "Unknown operation"}
        json.dump(response, sys.stdout)
    except Exception as e:
        json.dump({"success": False, "error": str(e)}, sys.stdout)
        sys.exit(1)


if __name__ == "__main__":
    main()
