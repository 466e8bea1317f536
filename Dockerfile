# Hookrelay: one image for the three production processes (see docker-compose.yml):
#   API         node dist/apps/api/src/main.js      (the default CMD, port 8080)
#   worker      node dist/apps/worker/src/main.js
#   migrations  npm run db:migrate                  (run once before starting a new version)
# Every process reads its configuration from the environment only: see docs/configuration.md.
#
#   docker build -t hookrelay .
#   docker run --init --env-file .env -p 8080:8080 hookrelay

# ---- build: all dependencies, generated Prisma client, compiled apps ------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app

ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

# Dependencies first, so that source changes reuse this layer. Install scripts are not needed (see
# `allowScripts` in package.json): Prisma runs on its JavaScript engine, so nothing native is downloaded.
# NODE_ENV stays unset here: with NODE_ENV=production, npm ci would skip the devDependencies the build needs.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts

# `npm run build` = prisma generate (client into node_modules/.prisma/client; scripts/prisma.mjs sets a
# placeholder DATABASE_URL, nothing connects) + nest build (both apps into dist/) + vite build (the web app
# into dist/web, which the API serves).
COPY . .
RUN npm run build \
 && test -f dist/apps/api/src/main.js \
 && test -f dist/apps/worker/src/main.js \
 && test -f dist/web/index.html \
 && test -f node_modules/.prisma/client/index.js

# ---- runtime ---------------------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
WORKDIR /app

ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

# node_modules is copied whole from the build stage instead of `npm ci --omit=dev`, on purpose:
# - the generated Prisma client (node_modules/.prisma/client, used through @prisma/client) exists only
#   after `prisma generate`, which ran in the build stage;
# - `npm run db:migrate` needs the Prisma CLI, a devDependency, together with its own dependency tree
#   (@prisma/config, c12, jiti, effect, …) to load prisma.config.ts; copying that tree package by package
#   onto a production-only install would break silently on the next Prisma upgrade.
# The price is the devDependencies' disk space (TypeScript, Jest, ESLint…: about 180 MB); nothing of them
# is loaded by the API or the worker. Everything stays owned by root and read-only for the runtime user.
COPY --from=build /app/package.json /app/package-lock.json /app/prisma.config.ts ./
COPY --from=build /app/scripts ./scripts
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

# The `node` user (uid 1000) comes with the official Node.js images.
USER node

EXPOSE 8080

# No HEALTHCHECK here: the API and the worker share this image but not their probes. docker-compose.yml
# probes the API's GET /api/v1/health/ready and the worker's optional WORKER_HEALTH_PORT.
CMD ["node", "dist/apps/api/src/main.js"]
