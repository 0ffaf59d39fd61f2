export { fromBase64Url, sha256Hex, toBase64Url } from "./encoding.ts";
export { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "./password.ts";
export { hashSecret, looksLikeApiToken, newApiToken, randomSecret, secretsEqual } from "./secrets.ts";
