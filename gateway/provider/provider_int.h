/*
 * provider_int.h - what the files of the provider layer share among
 * themselves and nobody above them: the template providers' common keys
 * (provider_binding.c) and the signing primitives (provider_sign.c).
 */
#ifndef DUBAN_PROVIDER_INT_H
#define DUBAN_PROVIDER_INT_H

#include "provider/provider.h"

/* Free an array of n bindings and everything they hold (NULL is fine). */
void provider_bindings_free(struct provider_binding *b, size_t n);

#endif
