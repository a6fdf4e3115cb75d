// AES-256-GCM of one frame into memory the caller owns, through the OpenSSL that Node itself
// links (Node exports its symbols to addons). Node's Cipher API allocates, zero-fills and
// re-allocates a fresh output buffer per call, which costs more than the cipher on 64 KiB frames.
#include <node_api.h>
#include <openssl/evp.h>
#include <string.h>

#define KEY_SIZE 32
#define NONCE_SIZE 12
#define TAG_SIZE 16

typedef struct {
  uint8_t *data;
  size_t length;
} bytes_t;

static napi_value fail(napi_env env, const char *code, const char *message) {
  napi_throw_type_error(env, code, message);
  return NULL;
}

static int get_bytes(napi_env env, napi_value value, bytes_t *out) {
  bool is_typed_array = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array) return 0;
  if (napi_get_typedarray_info(env, value, &type, &out->length, (void **)&out->data, NULL, NULL) != napi_ok) return 0;
  return type == napi_uint8_array;
}

static int get_args(napi_env env, napi_callback_info info, bytes_t args[4]) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) return 0;
  for (int i = 0; i < 4; i++) {
    if (!get_bytes(env, argv[i], &args[i])) return 0;
  }
  return args[0].length == KEY_SIZE && args[1].length == NONCE_SIZE;
}

// Returns 1 on success; for decryption 0 also when the tag does not verify.
static int run(int encrypt, const bytes_t *key, const bytes_t *nonce, const uint8_t *in, int in_length, uint8_t *out, uint8_t *tag) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int length = 0;
  int ok = ctx != NULL && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->data, nonce->data, encrypt) == 1;
  if (ok && !encrypt) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_SIZE, tag) == 1;
  if (ok && in_length > 0) ok = EVP_CipherUpdate(ctx, out, &length, in, in_length) == 1 && length == in_length;
  if (ok) ok = EVP_CipherFinal_ex(ctx, out + length, &length) == 1 && length == 0;
  if (ok && encrypt) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_SIZE, tag) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

// seal(key, nonce, plaintext, out): out[0, n) = ciphertext, out[n, n + 16) = tag; returns n + 16.
static napi_value seal(napi_env env, napi_callback_info info) {
  bytes_t a[4];
  if (!get_args(env, info, a)) return fail(env, "ERR_INVALID_ARG", "seal(key: 32 bytes, nonce: 12 bytes, plaintext, out) takes Uint8Arrays");
  if (a[2].length > INT32_MAX - TAG_SIZE || a[3].length < a[2].length + TAG_SIZE) return fail(env, "ERR_OUT_OF_RANGE", "seal: out must hold the plaintext and a 16-byte tag");
  if (!run(1, &a[0], &a[1], a[2].data, (int)a[2].length, a[3].data, a[3].data + a[2].length)) return fail(env, "ERR_CRYPTO", "AES-256-GCM encryption failed");
  napi_value result;
  napi_create_uint32(env, (uint32_t)(a[2].length + TAG_SIZE), &result);
  return result;
}

// open(key, nonce, ciphertext || tag, out): the plaintext in out[0, n) and true, or false (out zeroed).
static napi_value open_frame(napi_env env, napi_callback_info info) {
  bytes_t a[4];
  if (!get_args(env, info, a)) return fail(env, "ERR_INVALID_ARG", "open(key: 32 bytes, nonce: 12 bytes, sealed, out) takes Uint8Arrays");
  if (a[2].length < TAG_SIZE || a[2].length > INT32_MAX || a[3].length < a[2].length - TAG_SIZE) return fail(env, "ERR_OUT_OF_RANGE", "open: sealed must hold a 16-byte tag and out its plaintext");
  size_t n = a[2].length - TAG_SIZE;
  uint8_t tag[TAG_SIZE];
  memcpy(tag, a[2].data + n, TAG_SIZE);
  int ok = run(0, &a[0], &a[1], a[2].data, (int)n, a[3].data, tag);
  if (!ok) memset(a[3].data, 0, n);
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
    { "seal", NULL, seal, NULL, NULL, NULL, napi_enumerable, NULL },
    { "open", NULL, open_frame, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, 2, properties);
  return exports;
}
