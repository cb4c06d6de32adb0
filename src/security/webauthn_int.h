/* webauthn_int.h: webauthn.c's two ceremonies with a challenge of any
 * length up to PP_WEBAUTHN_CHALLENGE_MAX, so that the unit tests can check
 * real responses captured elsewhere (whose challenges are 64 bytes).  The
 * staff layer uses webauthn.h, whose challenges are always 32 bytes. */
#ifndef PP_SECURITY_WEBAUTHN_INT_H
#define PP_SECURITY_WEBAUTHN_INT_H

#include "security/webauthn.h"

#define PP_WEBAUTHN_CHALLENGE_MAX 64

/* pp_webauthn_register with challenge_len bytes of challenge. */
pp_err_t pp_webauthn_register_n(const pp_webauthn_rp_t *rp, const uint8_t *challenge,
                                size_t challenge_len, const char *client_data_json,
                                const char *attestation_object, bool user_verification,
                                pp_webauthn_cred_t *out);

/* pp_webauthn_assert with challenge_len bytes of challenge. */
pp_err_t pp_webauthn_assert_n(const pp_webauthn_rp_t *rp, const uint8_t *challenge,
                              size_t challenge_len, const pp_webauthn_cred_t *cred,
                              const char *client_data_json, const char *authenticator_data,
                              const char *signature, bool user_verification,
                              pp_webauthn_assertion_t *out);

#endif
