#!/usr/bin/env python3
"""Flash and static RAM of a 32-bit little-endian ELF firmware image.

flash      = what is written to flash: every allocated section with contents
             (.text, .rodata, .vector_table, and .data's initial values;
             on the ESP32-C3 also .trap/.rwtext, code copied to RAM at boot)
static RAM = .data + .bss (every writable allocated section, contents or
             not), without the stack and the uninitialised reservations

Sections named *_dummy (esp-hal's address-space placeholders) are skipped.
Usage: size.py ELF [LABEL]
"""
import struct
import sys

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
SHT_NOBITS = 8
# Reserved regions, not statics.
NOT_STATIC = (".stack", ".noinit", ".uninit", ".dram2_uninit", ".heap")


def sections(path):
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        sys.exit(f"{path}: not a 32-bit little-endian ELF")
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    heads = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = heads[shstrndx]
    for name, typ, flags, _addr, _off, size, *_ in heads:
        end = data.index(b"\0", strtab[4] + name)
        yield data[strtab[4] + name : end].decode(), typ, flags, size


def measure(path):
    flash = ram = 0
    for name, typ, flags, size in sections(path):
        if not flags & SHF_ALLOC or name.endswith("_dummy"):
            continue
        if typ != SHT_NOBITS:
            flash += size
        if flags & SHF_WRITE and not flags & SHF_EXECINSTR and not name.startswith(NOT_STATIC):
            ram += size
    return flash, ram


if __name__ == "__main__":
    path = sys.argv[1]
    label = sys.argv[2] if len(sys.argv) > 2 else path
    flash, ram = measure(path)
    print(f"{label}: flash {flash} bytes ({flash / 1024:.1f} KiB), static RAM {ram} bytes ({ram / 1024:.1f} KiB)")
