# One image for every runtrail service; the compose file / manifests pick the app to run.
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
COPY tools ./tools
COPY apps ./apps
COPY libs ./libs
RUN node tools/build.mjs && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 LOG_FORMAT=json AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy/emulator ./deploy/emulator
# Numeric, so Kubernetes' runAsNonRoot can verify it (the node image's `node` user is 1000).
USER 1000:1000
CMD ["node", "--enable-source-maps", "dist/apps/standalone/src/main.js"]
