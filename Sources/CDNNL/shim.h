// oneDNN (Debian libdnnl-dev, 2.x C API) and the OpenMP runtime it is built against.
#include <oneapi/dnnl/dnnl.h>

// Debian's oneDNN threads through GNU OpenMP; these two calls set and read its pool size.
void omp_set_num_threads(int count);
int omp_get_max_threads(void);
