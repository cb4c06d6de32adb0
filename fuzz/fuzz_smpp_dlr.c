/* fuzz_smpp_dlr: the delivery-receipt text parser (pp_smpp_dlr_parse) on
 * arbitrary bytes, with the round trip through pp_smpp_dlr_format. */
#include <stddef.h>
#include <stdint.h>

#include "dlr_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_dlr((const char *)data, size);
  return 0;
}
