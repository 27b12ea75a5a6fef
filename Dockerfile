# syntax=docker/dockerfile:1
# Node.js 26 "Lithium", the Active LTS line (Node 20 left support in April 2026; the code
# still runs on Node 20). Base images are pinned by the digest of their multi-arch index,
# so a rebuild gets the same bytes; the tag it was published under is in the comment.
# To move to a newer patch: `docker buildx imagetools inspect node:26-trixie-slim`, take
# the index digest, update both FROM lines and the comments.

# Build stage: compile TypeScript with the dev dependencies.
# node:26.11.1-trixie-slim
FROM node:26-trixie-slim@sha256:193fe51b64e77981119c98c2002c9e32a70e2f006fb4d25068ce0558998917f0 AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency runs code at install time; compiling TypeScript needs no native module.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies only, non-root.
# node:26.11.1-trixie-slim
FROM node:26-trixie-slim@sha256:193fe51b64e77981119c98c2002c9e32a70e2f006fb4d25068ce0558998917f0 AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# embedded-postgres is a dev dependency: production always sets DATABASE_URL.
# Install scripts off for every package; bcrypt, the one native module, is rebuilt by name
# (its install step picks the prebuilt binary it ships, or compiles one) and then loaded once
# so a missing binary fails the build, not the first login.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm rebuild bcrypt \
  && node -e "require('bcrypt').hashSync('build check', 4)" \
  && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:3000/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node directly (not npm) so SIGTERM reaches the app and the drain runs.
CMD ["node", "dist/src/main.js"]
