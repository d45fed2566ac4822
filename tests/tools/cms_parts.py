#!/usr/bin/python3
"""cms_parts.py SIG.p7s SIGVALUE_OUT [TOKEN_OUT] - from a DER CMS SignedData
with one signer: its signature value, and the token of its
signature-time-stamp unsigned attribute (1.2.840.113549.1.9.16.2.14), with
a small DER reader (no portex code, no ASN.1 library)."""
import sys

TST_OID = bytes.fromhex("2a864886f70d010910020e")


def tlv(b, i):
    """(tag, start of value, end of value) of the TLV at i."""
    tag = b[i]
    n = b[i + 1]
    j = i + 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[j:j + k], "big")
        j += k
    return tag, j, j + n


def children(b, start, end):
    out, i = [], start
    while i < end:
        t, s, e = tlv(b, i)
        out.append((t, i, s, e))
        i = e
    return out


der = open(sys.argv[1], "rb").read()
_, s, e = tlv(der, 0)                       # ContentInfo
ci = children(der, s, e)
_, _, s, e = ci[1]                          # [0] EXPLICIT
_, s, e = tlv(der, s)                       # SignedData
sd = children(der, s, e)
signer_infos = sd[-1]                       # SET OF SignerInfo
si = children(der, signer_infos[2], signer_infos[3])
assert len(si) == 1, "expected one signer"
fields = children(der, si[0][2], si[0][3])
sigval = [f for f in fields if f[0] == 0x04][0]
open(sys.argv[2], "wb").write(der[sigval[2]:sigval[3]])
if len(sys.argv) > 3:
    unsigned = [f for f in fields if f[0] == 0xa1]
    assert unsigned, "no unsigned attributes"
    for t, i, s, e in children(der, unsigned[0][2], unsigned[0][3]):
        oid, vals = children(der, s, e)
        if der[oid[2]:oid[3]] == TST_OID:
            tok = children(der, vals[2], vals[3])[0]
            open(sys.argv[3], "wb").write(der[tok[1]:tok[3]])
            break
    else:
        sys.exit("no signature time-stamp")
