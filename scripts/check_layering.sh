#!/bin/sh
# Dependencies point one way: compat -> io -> fibers. Fails if a lower layer includes a higher one,
# or if an example reaches into a detail/ header.
root=${1:-.}
status=0
if grep -rnE '#include *[<"]spindle/(io|compat)/' "$root/fibers"; then
  echo "layering: fibers/ must not include io/ or compat/" >&2
  status=1
fi
if grep -rnE '#include *[<"]spindle/compat/' "$root/io"; then
  echo "layering: io/ must not include compat/" >&2
  status=1
fi
if grep -rnE '#include *[<"]spindle/.*detail/' "$root/examples"; then
  echo "layering: examples must not include detail/ headers" >&2
  status=1
fi
[ $status -eq 0 ] && echo "layering: ok"
exit $status
