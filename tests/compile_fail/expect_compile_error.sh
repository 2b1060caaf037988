#!/bin/sh
# expect_compile_error.sh EXPECTED SOURCE COMPILER [ARGS...]: passes when compiling SOURCE fails
# and the compiler's messages contain EXPECTED (the static_assert text a user would read).
expected=$1
source=$2
shift 2
output=$("$@" -fsyntax-only "$source" 2>&1)
if [ $? -eq 0 ]; then
  echo "compiled, but should not have: $source" >&2
  exit 1
fi
if ! printf '%s' "$output" | grep -qF -- "$expected"; then
  echo "the compiler failed without the expected message '$expected':" >&2
  printf '%s\n' "$output" | head -20 >&2
  exit 1
fi
echo "refused with: $expected"
