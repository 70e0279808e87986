#include <gtest/gtest.h>

#include "backends/lightrag_postgres.h"
#include "layouts/lightrag.h"

namespace decant::lightrag {
namespace {

TEST(LightragLayout, StorageByNamespaceFollowsLightragSuffixRules) {
  EXPECT_EQ(storage_of_namespace("full_entities"), Storage::kKv);
  EXPECT_EQ(storage_of_namespace("entities"), Storage::kVector);
  EXPECT_EQ(storage_of_namespace("text_chunks"), Storage::kKv);
  EXPECT_EQ(storage_of_namespace("relation_chunks"), Storage::kKv);
  EXPECT_EQ(storage_of_namespace("chunks"), Storage::kVector);
  EXPECT_EQ(storage_of_namespace("relationships"), Storage::kVector);
  EXPECT_EQ(storage_of_namespace("doc_status"), Storage::kDocStatus);
  EXPECT_EQ(storage_of_namespace("myprefix_doc_status"), Storage::kDocStatus);
  EXPECT_EQ(storage_of_namespace("myprefix_entities"), Storage::kVector);
  EXPECT_EQ(storage_of_namespace("myprefix_full_entities"), Storage::kKv);
  EXPECT_EQ(storage_of_namespace("parse_cache"), Storage::kKv);
  EXPECT_TRUE(is_cache_namespace("llm_response_cache"));
  EXPECT_FALSE(is_cache_namespace("full_docs"));
}

TEST(LightragLayout, StreamNamesRoundTripThroughIdentify) {
  for (const StreamId& id : {StreamId{"", "full_docs", Storage::kKv}, StreamId{"space1", "doc_status", Storage::kDocStatus},
                             StreamId{"v1.0", "entities", Storage::kVector},
                             StreamId{"", "chunk_entity_relation", Storage::kGraphNodes},
                             StreamId{"space1", "chunk_entity_relation", Storage::kGraphEdges}}) {
    StreamInfo with_options = make_stream(id);
    Result<StreamId> from_options = identify_stream(with_options);
    ASSERT_TRUE(from_options) << from_options.status().message();
    EXPECT_EQ(*from_options, id);
    // A store that keeps no stream options (SQLite) leaves only the name.
    StreamInfo bare;
    bare.name = with_options.name;
    Result<StreamId> from_name = identify_stream(bare);
    ASSERT_TRUE(from_name) << from_name.status().message();
    EXPECT_EQ(*from_name, id) << bare.name;
  }
  EXPECT_EQ(stream_name({"", "chunk_entity_relation", Storage::kGraphEdges}), "chunk_entity_relation.edges");
  EXPECT_EQ(stream_name({"space1", "llm_response_cache", Storage::kKv}), "space1/llm_response_cache");
}

TEST(LightragLayout, IdentifyRefusesWhatIsNotALightragStream) {
  StreamInfo stream;
  stream.name = "a/b/full_docs";  // workspace "a/b" holds a slash
  EXPECT_FALSE(identify_stream(stream));
  stream.name = "public.album";
  EXPECT_FALSE(identify_stream(stream));
  stream.name = "../full_docs";
  EXPECT_FALSE(identify_stream(stream));
  stream.name = "full_docs";
  stream.options = {{"lightrag", {{"workspace", ""}, {"namespace", "full_docs"}, {"storage", "table"}}}};
  Result<StreamId> bad_storage = identify_stream(stream);
  ASSERT_FALSE(bad_storage);
  EXPECT_NE(bad_storage.status().message().find("unknown LightRAG storage"), std::string::npos);
}

TEST(LightragLayout, NativeNames) {
  EXPECT_EQ(postgres_workspace(""), "default");
  EXPECT_EQ(postgres_workspace("space1"), "space1");
  EXPECT_EQ(logical_workspace_from_postgres("default"), "");
  EXPECT_EQ(logical_workspace_from_postgres("space1"), "space1");
  EXPECT_EQ(redis_key_prefix("", "llm_response_cache"), "llm_response_cache:");
  EXPECT_EQ(redis_key_prefix("space1", "text_chunks"), "space1_text_chunks:");
  EXPECT_EQ(mongo_collection("space1", "chunk_entity_relation"), "space1_chunk_entity_relation");
  EXPECT_EQ(mongo_collection("", "doc_status"), "doc_status");
  EXPECT_EQ(postgres_table("full_entities"), "LIGHTRAG_FULL_ENTITIES");
  EXPECT_EQ(postgres_table("llm_response_cache"), "LIGHTRAG_LLM_CACHE");
  EXPECT_EQ(postgres_table("entities"), "");
  EXPECT_EQ(postgres_vector_table_base("entities"), "LIGHTRAG_VDB_ENTITY");
  EXPECT_EQ(postgres_vector_table_base("relationships"), "LIGHTRAG_VDB_RELATION");
  EXPECT_EQ(postgres_vector_table_base("chunks"), "LIGHTRAG_VDB_CHUNKS");
  EXPECT_EQ(postgres_vector_table_base("text_chunks"), "");
  EXPECT_EQ(age_graph_name("", "chunk_entity_relation"), "chunk_entity_relation");
  EXPECT_EQ(age_graph_name("DeFault", "chunk_entity_relation"), "chunk_entity_relation");
  EXPECT_EQ(age_graph_name("my-space.1", "chunk_entity_relation"), "my_space_1_chunk_entity_relation");
}

TEST(LightragLayout, CacheKeys) {
  std::optional<CacheKey> key = parse_cache_key("default:extract:a764fcf2d3aee35234a352ff0410fcd9");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->mode, "default");
  EXPECT_EQ(key->cache_type, "extract");
  EXPECT_EQ(key->hash, "a764fcf2d3aee35234a352ff0410fcd9");
  EXPECT_EQ(parse_cache_key("mix:query:a:b")->hash, "a:b");  // at most two splits
  EXPECT_FALSE(parse_cache_key("default"));
  EXPECT_TRUE(is_flattened_cache_key("default:extract:x"));
  EXPECT_FALSE(is_flattened_cache_key("default"));
  EXPECT_FALSE(is_flattened_cache_key("mix:query:a:b"));
  EXPECT_EQ(flattened_cache_key("global", "query", "abc"), "global:query:abc");
}

TEST(LightragLayout, CacheFilterKeepsDefaultModeCachesUnlessAskedForQueries) {
  Result<CacheFilter> defaults = CacheFilter::parse(kDefaultCacheTypes);
  ASSERT_TRUE(defaults);
  EXPECT_TRUE(defaults->keeps("default:extract:1"));
  EXPECT_TRUE(defaults->keeps("default:summary:1"));
  EXPECT_TRUE(defaults->keeps("default:analysis:1"));
  EXPECT_FALSE(defaults->keeps("mix:query:1"));
  EXPECT_FALSE(defaults->keeps("hybrid:keywords:1"));
  EXPECT_FALSE(defaults->keeps("global:extract:1"));  // extraction caches are default-mode only
  EXPECT_FALSE(defaults->keeps("legacy"));

  Result<CacheFilter> queries = CacheFilter::parse("query, keywords");
  ASSERT_TRUE(queries);
  EXPECT_TRUE(queries->keeps("mix:query:1"));
  EXPECT_TRUE(queries->keeps("naive:keywords:1"));
  EXPECT_FALSE(queries->keeps("default:extract:1"));

  Result<CacheFilter> all = CacheFilter::parse("all");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->keeps_everything());
  EXPECT_TRUE(all->keeps("legacy"));
  EXPECT_FALSE(CacheFilter::parse(" , "));
  EXPECT_FALSE(CacheFilter::parse("default:extract"));
}

TEST(LightragLayout, SelectionFromSettings) {
  Result<Selection> none = selection_from_settings(nlohmann::json::object(), "all");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->keeps_workspace("anything"));
  EXPECT_TRUE(none->keeps_namespace("full_docs"));
  EXPECT_TRUE(none->cache.keeps_everything());

  Result<Selection> some = selection_from_settings(
      {{"workspace", ""}, {"namespaces", "llm_response_cache,text_chunks"}, {"cache-types", "extract"}}, "all");
  ASSERT_TRUE(some);
  EXPECT_TRUE(some->keeps_workspace(""));
  EXPECT_FALSE(some->keeps_workspace("space1"));
  EXPECT_TRUE(some->keeps_namespace("text_chunks"));
  EXPECT_FALSE(some->keeps_namespace("full_docs"));
  EXPECT_FALSE(some->cache.keeps("default:summary:1"));

  EXPECT_FALSE(selection_from_settings({{"workspace", "a/b"}}, "all"));
  EXPECT_FALSE(selection_from_settings({{"namespaces", ","}}, "all"));
}

TEST(LightragPostgres, TablesAndVectorSuffix) {
  // LightRAG's NAMESPACE_TABLE_MAP matches by suffix, full_entities before entities.
  ASSERT_NE(postgres_table_of("full_entities"), nullptr);
  EXPECT_STREQ(postgres_table_of("full_entities")->table, "lightrag_full_entities");
  EXPECT_STREQ(postgres_table_of("entities")->table, "lightrag_vdb_entity");
  EXPECT_STREQ(postgres_table_of("text_chunks")->table, "lightrag_doc_chunks");
  EXPECT_STREQ(postgres_table_of("chunks")->table, "lightrag_vdb_chunks");
  EXPECT_STREQ(postgres_table_of("doc_status")->table, "lightrag_doc_status");
  EXPECT_EQ(postgres_table_of("chunk_entity_relation"), nullptr);
  // base._generate_collection_suffix: lower case, [^a-zA-Z0-9_] -> '_', then _{dim}d.
  EXPECT_EQ(postgres_vector_suffix(" text-embedding-3-large ", 3072), "text_embedding_3_large_3072d");
  EXPECT_EQ(postgres_vector_suffix("BAAI/bge-m3:latest", 1024), "baai_bge_m3_latest_1024d");
  std::string ddl = postgres_create_table(*postgres_table_of("entities"), "lightrag_vdb_entity_m_4d", 4);
  EXPECT_NE(ddl.find("CREATE TABLE IF NOT EXISTS public.\"lightrag_vdb_entity_m_4d\" ("), std::string::npos) << ddl;
  EXPECT_NE(ddl.find("content_vector VECTOR(4)"), std::string::npos) << ddl;
  EXPECT_NE(ddl.find("CONSTRAINT lightrag_vdb_entity_m_4d_PK PRIMARY KEY (workspace, id)"), std::string::npos) << ddl;
}

}  // namespace
}  // namespace decant::lightrag
