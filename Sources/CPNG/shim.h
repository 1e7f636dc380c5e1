// libpng's simplified API (Debian libpng-dev): PNG decoding with error codes, no setjmp.
#include <png.h>
