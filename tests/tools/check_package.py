#!/usr/bin/python3
"""check_package.py - checks a portex package the way a recipient would,
with tools portex did not write (python's zipfile and Debian's
python3-jsonschema).

    check_package.py PKG.zip [--repo-schemas DIR]

Checks: the ZIP reads back (testzip); "mimetype" is the first entry, stored,
without extra field, holding application/vnd.etsi.asic-e+zip; manifest.json
validates against schemas/manifest.schema.json from the package; every
data/*.json validates (JSON Schema 2020-12) against the schema file it names
inside the package; with --repo-schemas, every schema in the package is
byte-identical to the one in DIR; each manifest "files" entry exists with
the size and SHA-256 it states, and every file of the package is listed; the
record counts (files[].records, sources[].counts) match the data files.

Prints one line per problem and exits 1, or prints
"package ok: N files, M records" and exits 0.
"""
import argparse
import hashlib
import json
import os
import struct
import sys
import zipfile

import jsonschema

MIMETYPE = b"application/vnd.etsi.asic-e+zip"
MANIFEST_SCHEMA = "schemas/manifest.schema.json"
# Entries the manifest cannot list: itself, and what signs it.
UNLISTED = ("mimetype", "manifest.json")


def pointer(path):
    """A JSON pointer for a jsonschema error path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1")
                   for p in path)


class Checker:
    def __init__(self, path, zf, repo_schemas):
        self.path = path
        self.zf = zf
        self.repo_schemas = repo_schemas
        self.problems = []
        self.names = set(zf.namelist())
        self.compared = set()

    def problem(self, text):
        self.problems.append(text)

    def read(self, name):
        try:
            return self.zf.read(name)
        except KeyError:
            self.problem("%s: missing from the package" % name)
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            self.problem("%s: cannot be read: %s" % (name, e))
        return None

    def load_json(self, name):
        data = self.read(name)
        if data is None:
            return None
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            self.problem("%s: not valid JSON: %s" % (name, e))
        return None

    def compare_with_repo(self, name, data):
        if not self.repo_schemas or name in self.compared:
            return
        self.compared.add(name)
        path = os.path.join(self.repo_schemas, os.path.basename(name))
        try:
            with open(path, "rb") as f:
                repo = f.read()
        except OSError as e:
            self.problem("%s: no such schema in %s (%s)"
                         % (name, self.repo_schemas, e.strerror))
            return
        if repo != data:
            self.problem("%s: differs from %s" % (name, path))

    def schema(self, name):
        """The schema at `name` inside the package, checked, or None."""
        data = self.read(name)
        if data is None:
            return None
        self.compare_with_repo(name, data)
        try:
            sch = json.loads(data.decode("utf-8"))
            jsonschema.Draft202012Validator.check_schema(sch)
        except (UnicodeDecodeError, ValueError) as e:
            self.problem("%s: not valid JSON: %s" % (name, e))
            return None
        except jsonschema.exceptions.SchemaError as e:
            self.problem("%s: not a valid JSON Schema 2020-12: %s"
                         % (name, e.message))
            return None
        return sch

    def validate(self, name, doc, sch):
        v = jsonschema.Draft202012Validator(sch)
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors[:20]:
            self.problem("%s: %s: %s" % (name, pointer(e.absolute_path) or "/",
                                          e.message))
        if len(errors) > 20:
            self.problem("%s: %d more schema errors" % (name, len(errors) - 20))
        return not errors

    def check_zip(self):
        bad = self.zf.testzip()
        if bad is not None:
            self.problem("%s: CRC or read error (testzip)" % bad)
        seen = set()
        for info in self.zf.infolist():
            n = info.filename
            if n in seen:
                self.problem("%s: appears twice in the ZIP" % n)
            seen.add(n)
            if n.startswith("/") or ".." in n.split("/") or "\\" in n:
                self.problem("%s: unsafe path in the ZIP" % n)

    def check_mimetype(self):
        infos = self.zf.infolist()
        if not infos or infos[0].filename != "mimetype":
            self.problem("mimetype: not the first entry (first is %s)"
                         % (infos[0].filename if infos else "nothing"))
            return
        info = infos[0]
        if info.compress_type != zipfile.ZIP_STORED:
            self.problem("mimetype: compressed (method %d), must be stored"
                         % info.compress_type)
        if info.extra:
            self.problem("mimetype: has an extra field in the central "
                         "directory")
        # the local header, which is what readers of the first bytes see
        with open(self.path, "rb") as fp:
            fp.seek(info.header_offset)
            head = fp.read(30)
        if len(head) == 30 and head[:4] == b"PK\x03\x04":
            if struct.unpack("<H", head[28:30])[0]:
                self.problem("mimetype: has an extra field in its local "
                             "header")
        data = self.read("mimetype")
        if data is not None and data != MIMETYPE:
            self.problem("mimetype: holds %r, expected %r"
                         % (data[:80], MIMETYPE))

    def check_data(self, name):
        """Validates data/<entity>.json; returns (entity, records) or None."""
        doc = self.load_json(name)
        if doc is None:
            return None
        if not isinstance(doc, dict) or not isinstance(doc.get("schema"), str):
            self.problem("%s: no \"schema\" naming its schema file" % name)
            return None
        sch_name = doc["schema"]
        if sch_name not in self.names:
            self.problem("%s: names schema %s, which is not in the package"
                         % (name, sch_name))
            return None
        sch = self.schema(sch_name)
        if sch is None:
            return None
        if not self.validate(name, doc, sch):
            return None
        return doc.get("entity"), len(doc.get("records", []))

    def check_files(self, manifest, records):
        listed = set()
        for i, f in enumerate(manifest.get("files", [])):
            path = f.get("path")
            listed.add(path)
            data = self.read(path)
            if data is None:
                continue
            if len(data) != f.get("size"):
                self.problem("%s: %d bytes, manifest says %s"
                             % (path, len(data), f.get("size")))
            digest = hashlib.sha256(data).hexdigest()
            if digest != f.get("sha256"):
                self.problem("%s: SHA-256 %s, manifest says %s"
                             % (path, digest, f.get("sha256")))
            if path in records:
                if f.get("records") != records[path][1]:
                    self.problem("%s: %d records, manifest says %s"
                                 % (path, records[path][1], f.get("records")))
        for n in sorted(self.names):
            if n in UNLISTED or n.startswith("META-INF/") or n.endswith("/"):
                continue
            if n not in listed:
                self.problem("%s: in the package but not in manifest.json "
                             "files" % n)

    def check_counts(self, manifest, records):
        by_entity = {}
        for entity, count in records.values():
            by_entity[entity] = by_entity.get(entity, 0) + count
        counted = {}
        for s in manifest.get("sources", []):
            for entity, count in s.get("counts", {}).items():
                counted[entity] = counted.get(entity, 0) + count
        for entity in sorted(set(by_entity) | set(counted)):
            if by_entity.get(entity, 0) != counted.get(entity, 0):
                self.problem("data/%s.json: %d records, the sources' counts "
                             "in manifest.json add up to %d"
                             % (entity, by_entity.get(entity, 0),
                                counted.get(entity, 0)))

    def run(self):
        self.check_zip()
        self.check_mimetype()
        manifest = self.load_json("manifest.json")
        msch = self.schema(MANIFEST_SCHEMA)
        ok_manifest = (manifest is not None and msch is not None
                       and self.validate("manifest.json", manifest, msch))
        records = {}
        all_data_ok = True
        for n in sorted(self.names):
            if n.startswith("data/") and n.endswith(".json"):
                got = self.check_data(n)
                if got:
                    records[n] = got
                else:
                    all_data_ok = False
        # the schemas no data file named, read only to compare them
        for n in sorted(self.names) if self.repo_schemas else []:
            if (n.startswith("schemas/") and n.endswith(".json")
                    and n not in self.compared):
                data = self.read(n)
                if data is not None:
                    self.compare_with_repo(n, data)
        if ok_manifest:
            self.check_files(manifest, records)
            if all_data_ok:
                self.check_counts(manifest, records)
        return sum(c for _, c in records.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("package")
    ap.add_argument("--repo-schemas", metavar="DIR",
                    help="the schemas/ folder the package's schemas must "
                         "equal byte for byte")
    args = ap.parse_args()
    try:
        zf = zipfile.ZipFile(args.package)
    except (OSError, zipfile.BadZipFile) as e:
        print("%s: not a readable ZIP: %s" % (args.package, e))
        return 1
    with zf:
        c = Checker(args.package, zf, args.repo_schemas)
        total = c.run()
        nfiles = len(zf.infolist())
    for p in c.problems:
        print(p)
    if c.problems:
        return 1
    print("package ok: %d files, %d records" % (nfiles, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
