#!/usr/bin/env python3
"""Snapshot of the TwiML (Voice) vocabulary of Twilio's own generator.

Walks twilio-python's `twilio.twiml.voice_response` from `VoiceResponse`: every method that
nests an element is called with every parameter set, and the element it builds says its tag,
its attributes (as the SDK spells them in XML) and, through its own class's methods, the
children it may hold. Writes assets/twiml/voice-vocabulary.json, which the checker's table
in src/domain/lint.rs must agree with (its tests fail otherwise). Refresh with:

    python3 -m venv /tmp/tw && /tmp/tw/bin/pip install twilio
    /tmp/tw/bin/python tools/twiml_vocab.py > assets/twiml/voice-vocabulary.json
"""

import inspect
import json
import sys
from importlib.metadata import version

from twilio.twiml import TwiML, voice_response


def methods(cls):
    """The element-building methods a class adds (not TwiML's own append/nest/...)."""
    for name, fn in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_") or hasattr(TwiML, name):
            continue
        yield name, fn


def build(instance, name, fn):
    """Calls `instance.name(...)` with every parameter set; returns the nested element."""
    params = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    # `language` goes through format_language (ww-WW); anything else takes any string.
    args = {p.name: ("en-US" if "language" in p.name else "1") for p in params}
    return getattr(instance, name)(**args)


def main():
    elements = {}
    seen = set()
    queue = [voice_response.VoiceResponse]
    elements["Response"] = {"children": set(), "attributes": set()}
    tag_of = {voice_response.VoiceResponse: "Response"}
    while queue:
        cls = queue.pop()
        if cls in seen:
            continue
        seen.add(cls)
        parent = tag_of[cls]
        instance = cls.__new__(cls)
        TwiML.__init__(instance)
        for name, fn in methods(cls):
            child = build(instance, name, fn)
            if not isinstance(child, TwiML):
                continue
            tag = child.name
            entry = elements.setdefault(tag, {"children": set(), "attributes": set()})
            entry["attributes"].update(child.attrs.keys())
            elements[parent]["children"].add(tag)
            tag_of.setdefault(type(child), tag)
            if tag_of[type(child)] == tag:
                queue.append(type(child))
    out = {
        "generator": "tools/twiml_vocab.py",
        "library": f"twilio-python {version('twilio')}",
        "module": "twilio.twiml.voice_response",
        "elements": {
            tag: {
                "children": sorted(e["children"]),
                "attributes": sorted(e["attributes"]),
            }
            for tag, e in sorted(elements.items())
        },
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
