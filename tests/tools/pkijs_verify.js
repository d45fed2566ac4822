// Verifies a detached CMS signature (an ASiC-E package's
// META-INF/signature001.p7s over META-INF/ASiCManifest.xml) with PKI.js
// (npm pkijs, installed by scripts/deps.sh npm), which portex did not write:
// SignedData.verify with the given CA certificate as the only trusted
// certificate and the chain checked (checkChain), so a signer the CA did
// not issue is refused as firmly as an edited manifest.
// Usage: node pkijs_verify.js SIGNATURE.p7s MANIFEST.xml CA.pem
// Prints "pkijs: signature valid, chain: SUBJECT <- ISSUER ..." and exits 0,
// or prints pkijs' reason on stderr and exits 1 (2 for a usage error).
'use strict';
const fs = require('fs');
const path = require('path');
const { webcrypto } = require('crypto');
const top = process.env.PX_TOP || path.join(__dirname, '..', '..');
const mods = path.join(top, 'build/npm/node_modules');
const pkijs = require(path.join(mods, 'pkijs'));
const asn1js = require(path.join(mods, 'asn1js'));

function arrayBuffer(buf) {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

function pemCertificates(text) {
  const re = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g;
  const out = [];
  let m;
  while ((m = re.exec(text)) !== null)
    out.push(pkijs.Certificate.fromBER(arrayBuffer(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'))));
  return out;
}

function commonName(cert) {
  const cn = cert.subject.typesAndValues.find((tv) => tv.type === '2.5.4.3');
  return cn ? cn.value.valueBlock.value : '(no CN)';
}

async function main() {
  if (process.argv.length !== 5) {
    console.error('usage: node pkijs_verify.js SIGNATURE.p7s MANIFEST.xml CA.pem');
    process.exit(2);
  }
  const [sigFile, dataFile, caFile] = process.argv.slice(2);
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto }));

  const trusted = pemCertificates(fs.readFileSync(caFile, 'latin1'));
  if (trusted.length !== 1) {
    console.error(`${caFile}: ${trusted.length} certificates, expected the CA's only`);
    process.exit(2);
  }
  const der = fs.readFileSync(sigFile);
  const asn = asn1js.fromBER(arrayBuffer(der));
  if (asn.offset === -1) throw new Error(`${sigFile}: not BER/DER`);
  const info = new pkijs.ContentInfo({ schema: asn.result });
  if (info.contentType !== pkijs.ContentInfo.SIGNED_DATA)
    throw new Error(`${sigFile}: content type ${info.contentType}, not signedData`);
  const signed = new pkijs.SignedData({ schema: info.content });
  if (signed.encapContentInfo.eContent)
    throw new Error(`${sigFile}: carries its content, not a detached signature`);

  const r = await signed.verify({
    signer: 0,
    data: arrayBuffer(fs.readFileSync(dataFile)),
    trustedCerts: trusted,
    checkChain: true,
    checkDate: new Date(),
    extendedMode: true,
  });
  if (!r.signatureVerified) throw new Error(`signature not verified (code ${r.code}): ${r.message}`);
  const chain = (r.certificatePath || []).map(commonName).join(' <- ');
  console.log(`pkijs: signature valid, chain: ${chain}`);
}

main().catch((e) => {
  // pkijs throws its SignedDataVerifyResult in extended mode
  const why = e && e.message !== undefined ? `${e.message}${e.code !== undefined ? ` (code ${e.code})` : ''}` : String(e);
  console.error(`pkijs refuses: ${why}`);
  process.exit(1);
});
