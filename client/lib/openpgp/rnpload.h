/* libwalletclient: librnp, loaded when the rnp engine is first chosen rather than with the
 * program. librnp and Botan under it are most of what a start costs the dynamic loader (some
 * 12,000 symbol relocations, bound before main with full RELRO), which a program that runs
 * --help, or uses the gnupg engine, need not pay. rnp.c includes this header after
 * <rnp/rnp.h>: every rnp_* function it calls then goes through the table that
 * wc_rnp_load fills from librnp.so.0. Not installed. */
#ifndef WC_RNPLOAD_H
#define WC_RNPLOAD_H

#include <rnp/rnp.h>
#include <stddef.h>

#include "status.h"

/* The librnp functions the engine uses, one line each (X-macro). */
#define WC_RNP_FUNCTIONS(X)                   \
	X(rnp_buffer_destroy)                 \
	X(rnp_ffi_create)                     \
	X(rnp_ffi_destroy)                    \
	X(rnp_ffi_set_log_fd)                 \
	X(rnp_identifier_iterator_create)     \
	X(rnp_identifier_iterator_destroy)    \
	X(rnp_identifier_iterator_next)       \
	X(rnp_import_keys)                    \
	X(rnp_input_destroy)                  \
	X(rnp_input_from_memory)              \
	X(rnp_key_allows_usage)               \
	X(rnp_key_get_fprint)                 \
	X(rnp_key_get_primary_fprint)         \
	X(rnp_key_get_protection_type)        \
	X(rnp_key_get_subkey_at)              \
	X(rnp_key_get_subkey_count)           \
	X(rnp_key_handle_destroy)             \
	X(rnp_key_have_secret)                \
	X(rnp_key_is_expired)                 \
	X(rnp_key_is_primary)                 \
	X(rnp_key_is_revoked)                 \
	X(rnp_key_is_valid)                   \
	X(rnp_load_keys)                      \
	X(rnp_locate_key)                     \
	X(rnp_op_verify_create)               \
	X(rnp_op_verify_destroy)              \
	X(rnp_op_verify_detached_create)      \
	X(rnp_op_verify_execute)              \
	X(rnp_op_verify_get_protection_info)  \
	X(rnp_op_verify_get_signature_at)     \
	X(rnp_op_verify_get_signature_count)  \
	X(rnp_op_verify_signature_get_handle) \
	X(rnp_op_verify_signature_get_key)    \
	X(rnp_op_verify_signature_get_status) \
	X(rnp_op_verify_signature_get_times)  \
	X(rnp_output_destroy)                 \
	X(rnp_output_memory_get_buf)          \
	X(rnp_output_to_callback)             \
	X(rnp_output_to_memory)               \
	X(rnp_result_to_string)               \
	X(rnp_signature_handle_destroy)       \
	X(rnp_signature_packet_to_json)

/* One pointer per function, of the function's own type (from <rnp/rnp.h>). */
#define WC_RNP_FIELD(name) __typeof__(name) *name;
struct wc_rnp_api {
	WC_RNP_FUNCTIONS(WC_RNP_FIELD)
};
#undef WC_RNP_FIELD
extern struct wc_rnp_api wc_rnp_api;

/* Loads librnp.so.0 and resolves every function above, once per process (thread-safe; the
 * library stays loaded). CW_OK, or CW_ERR_CRYPTO with the reason in err. */
cw_status wc_rnp_load(char *err, size_t errsz);

#ifndef WC_RNPLOAD_SELF
/* From here on, a call of rnp_x(...) is a call through the table. */
#define rnp_buffer_destroy (wc_rnp_api.rnp_buffer_destroy)
#define rnp_ffi_create (wc_rnp_api.rnp_ffi_create)
#define rnp_ffi_destroy (wc_rnp_api.rnp_ffi_destroy)
#define rnp_ffi_set_log_fd (wc_rnp_api.rnp_ffi_set_log_fd)
#define rnp_identifier_iterator_create (wc_rnp_api.rnp_identifier_iterator_create)
#define rnp_identifier_iterator_destroy (wc_rnp_api.rnp_identifier_iterator_destroy)
#define rnp_identifier_iterator_next (wc_rnp_api.rnp_identifier_iterator_next)
#define rnp_import_keys (wc_rnp_api.rnp_import_keys)
#define rnp_input_destroy (wc_rnp_api.rnp_input_destroy)
#define rnp_input_from_memory (wc_rnp_api.rnp_input_from_memory)
#define rnp_key_allows_usage (wc_rnp_api.rnp_key_allows_usage)
#define rnp_key_get_fprint (wc_rnp_api.rnp_key_get_fprint)
#define rnp_key_get_primary_fprint (wc_rnp_api.rnp_key_get_primary_fprint)
#define rnp_key_get_protection_type (wc_rnp_api.rnp_key_get_protection_type)
#define rnp_key_get_subkey_at (wc_rnp_api.rnp_key_get_subkey_at)
#define rnp_key_get_subkey_count (wc_rnp_api.rnp_key_get_subkey_count)
#define rnp_key_handle_destroy (wc_rnp_api.rnp_key_handle_destroy)
#define rnp_key_have_secret (wc_rnp_api.rnp_key_have_secret)
#define rnp_key_is_expired (wc_rnp_api.rnp_key_is_expired)
#define rnp_key_is_primary (wc_rnp_api.rnp_key_is_primary)
#define rnp_key_is_revoked (wc_rnp_api.rnp_key_is_revoked)
#define rnp_key_is_valid (wc_rnp_api.rnp_key_is_valid)
#define rnp_load_keys (wc_rnp_api.rnp_load_keys)
#define rnp_locate_key (wc_rnp_api.rnp_locate_key)
#define rnp_op_verify_create (wc_rnp_api.rnp_op_verify_create)
#define rnp_op_verify_destroy (wc_rnp_api.rnp_op_verify_destroy)
#define rnp_op_verify_detached_create (wc_rnp_api.rnp_op_verify_detached_create)
#define rnp_op_verify_execute (wc_rnp_api.rnp_op_verify_execute)
#define rnp_op_verify_get_protection_info (wc_rnp_api.rnp_op_verify_get_protection_info)
#define rnp_op_verify_get_signature_at (wc_rnp_api.rnp_op_verify_get_signature_at)
#define rnp_op_verify_get_signature_count (wc_rnp_api.rnp_op_verify_get_signature_count)
#define rnp_op_verify_signature_get_handle (wc_rnp_api.rnp_op_verify_signature_get_handle)
#define rnp_op_verify_signature_get_key (wc_rnp_api.rnp_op_verify_signature_get_key)
#define rnp_op_verify_signature_get_status (wc_rnp_api.rnp_op_verify_signature_get_status)
#define rnp_op_verify_signature_get_times (wc_rnp_api.rnp_op_verify_signature_get_times)
#define rnp_output_destroy (wc_rnp_api.rnp_output_destroy)
#define rnp_output_memory_get_buf (wc_rnp_api.rnp_output_memory_get_buf)
#define rnp_output_to_callback (wc_rnp_api.rnp_output_to_callback)
#define rnp_output_to_memory (wc_rnp_api.rnp_output_to_memory)
#define rnp_result_to_string (wc_rnp_api.rnp_result_to_string)
#define rnp_signature_handle_destroy (wc_rnp_api.rnp_signature_handle_destroy)
#define rnp_signature_packet_to_json (wc_rnp_api.rnp_signature_packet_to_json)
#endif

#endif
