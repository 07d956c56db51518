// libxcrypt (Debian libcrypt-dev): bcrypt password hashes for the auth store (crypt_rn, crypt_gensalt_rn).
#include <crypt.h>
