# syntax=docker/dockerfile:1
# rollouts-cv on distroless Node.js, non-root: the engine (`rollouts-cv engine`) and the Slack bot (`rollouts-cv bot`);
# the pipelines controller on Debian with git (target `pipelines`, below)
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/rollouts-cv/rollouts-cv/engine:0.1.0 .
# The entrypoint is the rollouts-cv CLI; the chart passes `engine` or `bot` and their flags as arguments.
# Node.js 26: the Active LTS line (supported until April 2029). Distroless ships it on Debian 13 only, so the build
# stages use the same Debian. scripts/node-lts.sh pins the same line for the tests.
ARG NODE_MAJOR=26

# The build and dependency stages run on the builder's own platform (no emulation for the other architecture):
# the output is JavaScript, and no production dependency has native code.
FROM --platform=$BUILDPLATFORM node:${NODE_MAJOR}-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY cli ./cli
COPY shared ./shared
COPY plugin ./plugin
COPY bot ./bot
RUN npm run build

FROM --platform=$BUILDPLATFORM node:${NODE_MAJOR}-trixie-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# The pipelines controller (`rollouts-cv pipelines`, target `pipelines`): release-repository steps run git (and ssh),
# which distroless does not have. The full Debian Node.js image ships both (buildpack-deps' scm layer), so nothing is
# installed in the target platform's stage (no emulation); it runs as the image's non-root node user.
#   docker buildx build --target pipelines -t ghcr.io/rollouts-cv/rollouts-cv/pipelines:0.1.0 .
FROM node:${NODE_MAJOR}-trixie AS pipelines
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/cli ./dist/cli
COPY --from=build /app/dist/plugin ./dist/plugin
COPY --from=build /app/dist/shared ./dist/shared
COPY package.json ./
COPY proto ./proto
USER 1000:1000
EXPOSE 8081
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["pipelines"]

# The engine and the bot (the default target, last).
FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian13:nonroot AS engine
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/cli ./dist/cli
COPY --from=build /app/dist/plugin ./dist/plugin
COPY --from=build /app/dist/bot ./dist/bot
COPY --from=build /app/dist/shared ./dist/shared
COPY package.json ./
COPY proto ./proto
USER 65532:65532
EXPOSE 7070 8080 3000
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/main.js"]
CMD ["engine"]
