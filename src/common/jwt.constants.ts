/** Pinned so a token minted for another service (or with alg "none") never verifies here. */
export const JWT_ALGORITHM = 'HS256';
export const JWT_ISSUER = 'streamly';
export const JWT_AUDIENCE = 'streamly-api';
