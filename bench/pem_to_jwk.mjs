// Converts a PKCS#8 PEM private key into the private JWK that oauth2-mock-server's `--jwk`
// loads, so it signs with the very key the issuer uses (same RSA size, same kid).
// Usage: node bench/pem_to_jwk.mjs KEY.pem KID OUT.json
import { createPrivateKey } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

const [pemPath, kid, outPath] = process.argv.slice(2);
const jwk = createPrivateKey(readFileSync(pemPath)).export({ format: "jwk" });
if (jwk.kty !== "RSA") throw new Error(`${pemPath}: expected an RSA key, got ${jwk.kty}`);
Object.assign(jwk, { kid, alg: "RS256", use: "sig" });
writeFileSync(outPath, JSON.stringify(jwk));
