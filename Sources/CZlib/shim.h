// zlib (Debian zlib1g-dev), used to read gzip-compressed dataset files.
#include <zlib.h>
