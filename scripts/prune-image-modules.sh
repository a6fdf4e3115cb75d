#!/bin/sh
# Trims the API image's production node_modules (the Dockerfile's runtime-deps stage runs it after
# `npm ci --omit=dev`) to what node loads at run time; scripts/check-image-layout.js runs the same
# Dockerfile step and starts the server from the result, so a file removed here that the server
# needs fails CI.
set -eu
cd "${1:-node_modules}"

# Source maps, type declarations and docs: read by editors and debuggers, never by node.
find . -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -iname '*.md' \) -delete

# The Prisma client ships a query compiler for every database, each also as ESM; the generated
# client (CommonJS, PostgreSQL) loads only query_compiler_fast_bg.postgresql{,.wasm-base64}.js.
runtime=@prisma/client/runtime
find "$runtime" -type f \( -name 'query_compiler_small_bg.*' -o -name 'wasm-compiler-edge.*' \
  -o \( -name 'query_compiler_fast_bg.*' ! -name 'query_compiler_fast_bg.postgresql.*' \) \
  -o -name 'query_compiler_fast_bg.postgresql*.mjs' \) -delete

# argon2 was compiled from source (its prebuilt linux-x64 binary crashes on this Node): keep the
# binding node-gyp-build loads (build/Release/argon2.node), not the compiler's objects, makefiles,
# C sources, the prebuilt binaries or the headers used to compile it.
keep=$(mktemp -d)
mv argon2/build/Release/argon2.node "$keep/"
rm -rf argon2/build argon2/prebuilds argon2/argon2 argon2/argon2.cpp argon2/binding.gyp node-addon-api
mkdir -p argon2/build/Release
mv "$keep/argon2.node" argon2/build/Release/
rmdir "$keep"
