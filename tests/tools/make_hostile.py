#!/usr/bin/python3
"""make_hostile.py KIND OUT [ARGS] - archives portex verify must refuse.

Hostile archives (written from nothing):
  traversal | absolute | backslash | control | duplicate   unsafe names
  bomb        one entry of 200 MiB of zeros (ratio above 1000:1)
  bomb-total  entries whose directory declares 3 x 2 GiB
  bomb-lying  an entry declaring 100 bytes that inflates to 64 MiB
  many        100,001 empty entries
  lying-count 1,000,000 empty entries behind an end record counting 10
  zeros-many  3,900 entries of 1 MiB of zeros each, unsigned (~4 MiB)
  notzip      text, not a ZIP

Tampered copies of a real package (OUT from IN, entry order and
compression kept, nothing else changed):
  flip IN NAME            one byte of entry NAME changed
  add IN NAME             a new entry NAME
  remove IN NAME          entry NAME removed
  replace IN NAME FILE    entry NAME's bytes replaced by FILE's
  mimetype-compressed IN  mimetype deflated
  mimetype-last IN        mimetype moved to the end
  mimetype-extra IN       mimetype with an extra field (as jar writes)
  symlink IN NAME         entry NAME marked a symbolic link (bytes kept)
"""
import struct
import sys
import zipfile
import zlib

MIMETYPE = b"application/vnd.etsi.asic-e+zip"


def good_start(z):
    z.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, zipfile.ZIP_STORED)


def named(out, name):
    with zipfile.ZipFile(out, "w") as z:
        good_start(z)
        z.writestr("data/profile.json", b"{}")
        z.writestr(zipfile.ZipInfo(name), b"owned")


def duplicate(out):
    with zipfile.ZipFile(out, "w") as z:
        good_start(z)
        z.writestr("data/profile.json", b"{}")
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z.writestr("data/profile.json", b"{\"evil\": true}")


def bomb(out):
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        good_start(z)
        with z.open("data/bomb.json", "w", force_zip64=True) as f:
            for _ in range(200):
                f.write(zeros)


def patch_sizes(path, names, size):
    """Rewrites the uncompressed size of entries in both the local and
    the central headers (the archive stays self-consistent)."""
    data = bytearray(open(path, "rb").read())
    with zipfile.ZipFile(path) as z:
        infos = [i for i in z.infolist() if i.filename in names]
    for info in infos:
        off = info.header_offset
        assert data[off:off + 4] == b"PK\3\4"
        struct.pack_into("<I", data, off + 22, size)
    pos = 0
    while True:
        pos = data.find(b"PK\1\2", pos)
        if pos < 0:
            break
        nlen = struct.unpack_from("<H", data, pos + 28)[0]
        name = bytes(data[pos + 46:pos + 46 + nlen]).decode()
        if name in names:
            struct.pack_into("<I", data, pos + 24, size)
        pos += 4
    open(path, "wb").write(data)


def bomb_total(out):
    names = ["data/a.json", "data/b.json", "data/c.json"]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        good_start(z)
        for n in names:
            z.writestr(n, bytes(range(256)) * 16)
    patch_sizes(out, names, 2 << 30)


def bomb_lying(out):
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    blob = b"".join(comp.compress(bytes(1 << 20)) for _ in range(64))
    blob += comp.flush()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        good_start(z)
        z.writestr("data/small.json", b"x" * 100)
    # Put the 64 MiB stream in place of the 100 bytes: same name, a
    # deflate method and sizes that claim 100 bytes.
    data = bytearray(open(out, "rb").read())
    with zipfile.ZipFile(out) as z:
        info = z.getinfo("data/small.json")
    off = info.header_offset
    nlen, xlen = struct.unpack_from("<HH", data, off + 26)
    start = off + 30 + nlen + xlen
    rest = bytes(data[start + 100:])
    head = bytearray(data[:start])
    struct.pack_into("<H", head, off + 8, 8)  # method: deflate
    struct.pack_into("<I", head, off + 18, len(blob))  # compressed size
    out_data = bytearray(head + blob + rest)
    delta = len(blob) - 100
    cd = out_data.find(b"PK\1\2", start + len(blob))
    pos = cd
    while True:
        pos = out_data.find(b"PK\1\2", pos)
        if pos < 0:
            break
        n = struct.unpack_from("<H", out_data, pos + 28)[0]
        if bytes(out_data[pos + 46:pos + 46 + n]) == b"data/small.json":
            struct.pack_into("<H", out_data, pos + 10, 8)
            struct.pack_into("<I", out_data, pos + 20, len(blob))
        pos += 4
    eocd = out_data.rfind(b"PK\5\6")
    cd_off = struct.unpack_from("<I", out_data, eocd + 16)[0]
    struct.pack_into("<I", out_data, eocd + 16, cd_off + delta)
    open(out, "wb").write(out_data)


def many(out):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        good_start(z)
        for i in range(100001):
            z.writestr(zipfile.ZipInfo("%x" % i), b"")


LOCAL = "<IHHHHHIIIHH"
CENTRAL = "<IHHHHHHIIIHHHHHII"


def raw_archive(out, entries, count=None):
    """Writes (name, method, crc, compressed bytes, size) entries as a
    ZIP by hand, the end record counting `count` (default: all)."""
    local, cd = bytearray(), bytearray()
    for name, method, crc, data, size in entries:
        off = len(local)
        local += struct.pack(LOCAL, 0x04034b50, 20, 0, method, 0, 0x21,
                             crc, len(data), size, len(name), 0) + name + data
        cd += struct.pack(CENTRAL, 0x02014b50, 20, 20, 0, method, 0, 0x21,
                          crc, len(data), size, len(name), 0, 0, 0, 0, 0,
                          off) + name
    n = len(entries) if count is None else count
    eocd = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, n, n, len(cd),
                       len(local), 0)
    with open(out, "wb") as f:
        f.write(bytes(local) + bytes(cd) + eocd)


def lying_count(out):
    raw_archive(out, [(b"e%d" % i, 0, 0, b"", 0) for i in range(1000000)],
                count=10)


def zeros_many(out):
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    blob = comp.compress(bytes(1 << 20)) + comp.flush()
    crc = zlib.crc32(bytes(1 << 20))
    raw_archive(out, [(b"data/z%04d.json" % i, 8, crc, blob, 1 << 20)
                      for i in range(3900)])


def copy(src, out, edit):
    """Copies src to out entry by entry; edit(info, data) returns the
    (info, data) to write, or None to drop the entry."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            r = edit(info, zin.read(info))
            if r is not None:
                i, d = r
                zout.writestr(i, d, i.compress_type)


def main():
    kind, out = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    if kind == "traversal":
        named(out, "../../evil.sh")
    elif kind == "absolute":
        named(out, "/etc/evil.conf")
    elif kind == "backslash":
        named(out, "..\\..\\evil.bat")
    elif kind == "control":
        named(out, "data/ev\x1b[2Jil.json")
    elif kind == "duplicate":
        duplicate(out)
    elif kind == "bomb":
        bomb(out)
    elif kind == "bomb-total":
        bomb_total(out)
    elif kind == "bomb-lying":
        bomb_lying(out)
    elif kind == "many":
        many(out)
    elif kind == "lying-count":
        lying_count(out)
    elif kind == "zeros-many":
        zeros_many(out)
    elif kind == "symlink":
        src, name = args

        def link(i, d):
            if i.filename == name:
                i.create_system = 3
                i.external_attr = 0o120777 << 16
            return i, d
        copy(src, out, link)
    elif kind == "notzip":
        open(out, "w").write("this is not a zip archive\n" * 10)
    elif kind == "flip":
        src, name = args

        def flip(i, d):
            if i.filename == name:
                d = bytearray(d)
                d[len(d) // 2] ^= 0x01
                d = bytes(d)
            return i, d
        copy(src, out, flip)
    elif kind == "add":
        src, name = args
        copy(src, out, lambda i, d: (i, d))
        with zipfile.ZipFile(out, "a") as z:
            z.writestr(name, b"{\"added\": true}\n")
    elif kind == "remove":
        src, name = args
        copy(src, out, lambda i, d: None if i.filename == name else (i, d))
    elif kind == "replace":
        src, name, f = args
        new = open(f, "rb").read()
        copy(src, out, lambda i, d: (i, new if i.filename == name else d))
    elif kind == "mimetype-compressed":
        (src,) = args

        def deflate(i, d):
            if i.filename == "mimetype":
                i.compress_type = zipfile.ZIP_DEFLATED
            return i, d
        copy(src, out, deflate)
    elif kind == "mimetype-extra":
        (src,) = args

        def extra(i, d):
            if i.filename == "mimetype":
                i.extra = b"\xfe\xca\x00\x00"
            return i, d
        copy(src, out, extra)
    elif kind == "mimetype-last":
        (src,) = args
        with zipfile.ZipFile(src) as zin:
            mt = zin.getinfo("mimetype")
        copy(src, out,
             lambda i, d: None if i.filename == "mimetype" else (i, d))
        with zipfile.ZipFile(out, "a") as z:
            z.writestr(mt, MIMETYPE, zipfile.ZIP_STORED)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
