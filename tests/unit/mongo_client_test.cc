// Which MongoDB failures `import --retries` tries again (backends/mongo_client.h).
#include <gtest/gtest.h>

#include "backends/mongo_client.h"

namespace decant {
namespace {

bson_error_t error_of(uint32_t domain, uint32_t code) {
  bson_error_t e{};
  e.domain = domain;
  e.code = code;
  return e;
}

TEST(MongoTransient, ConnectionAndSelectionFailures) {
  EXPECT_TRUE(mongo_transient(error_of(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET), nullptr));
  EXPECT_TRUE(mongo_transient(error_of(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_CONNECT), nullptr));
  EXPECT_TRUE(mongo_transient(error_of(MONGOC_ERROR_SERVER_SELECTION, MONGOC_ERROR_SERVER_SELECTION_FAILURE), nullptr));
  EXPECT_FALSE(mongo_transient(error_of(MONGOC_ERROR_CLIENT, MONGOC_ERROR_CLIENT_AUTHENTICATE), nullptr));
}

TEST(MongoTransient, ServerCodes) {
  for (uint32_t code : {91u, 112u, 189u, 10107u, 11600u, 89u})
    EXPECT_TRUE(mongo_transient(error_of(MONGOC_ERROR_SERVER, code), nullptr)) << code;
  for (uint32_t code : {11000u, 2u, 121u, 13u})  // duplicate key, bad value, validation, unauthorized
    EXPECT_FALSE(mongo_transient(error_of(MONGOC_ERROR_SERVER, code), nullptr)) << code;
}

TEST(MongoTransient, ErrorLabels) {
  bson_error_t duplicate = error_of(MONGOC_ERROR_SERVER, 11000);
  for (const char* label : {"TransientTransactionError", "RetryableWriteError"}) {
    bson_t* reply = BCON_NEW("ok", BCON_INT32(0), "errorLabels", "[", BCON_UTF8(label), "]");
    EXPECT_TRUE(mongo_transient(duplicate, reply)) << label;
    bson_destroy(reply);
  }
  bson_t* other = BCON_NEW("ok", BCON_INT32(0), "errorLabels", "[", BCON_UTF8("NoWritesPerformed"), "]");
  EXPECT_FALSE(mongo_transient(duplicate, other));
  bson_destroy(other);
}

}  // namespace
}  // namespace decant
