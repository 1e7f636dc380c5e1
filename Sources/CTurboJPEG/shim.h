// libjpeg-turbo's TurboJPEG API (Debian libturbojpeg0-dev): JPEG decoding with error codes, no setjmp.
#include <turbojpeg.h>
