#!/usr/bin/env python3
"""The pymongo side of bench/mongo.sh, and its data generator.

  mongo_baseline.py gen FILE.bson N        N documents of about 500 bytes, concatenated BSON
  mongo_baseline.py insert URI DB FILE     insert_many of FILE's documents in batches of 1000
  mongo_baseline.py find URI DB            iterate every document of every collection
"""
import sys

import bson
import pymongo


def gen(path, n):
    with open(path, "wb") as f:
        for i in range(n):
            doc = {"_id": i, "name": f"user {i:08d}", "email": f"user{i}@example.com", "age": i % 90,
                   "score": i * 0.37, "active": i % 3 == 0, "tags": ["alpha", "beta", f"t{i % 17}"],
                   "address": {"street": f"{i} Long Street", "city": f"City {i % 500}", "zip": f"{i % 99999:05d}"},
                   "bio": ("lorem ipsum dolor sit amet " * 12)[: 200 + i % 50]}
            f.write(bson.encode(doc))


def insert(uri, db, path):
    coll = pymongo.MongoClient(uri)[db]["people"]
    batch = []
    with open(path, "rb") as f:
        for doc in bson.decode_file_iter(f):
            batch.append(doc)
            if len(batch) == 1000:
                coll.insert_many(batch, ordered=False)
                batch = []
    if batch:
        coll.insert_many(batch, ordered=False)


def find(uri, db):
    database = pymongo.MongoClient(uri)[db]
    n = 0
    for name in database.list_collection_names():
        for _ in database[name].find({}, batch_size=1000):
            n += 1
    print(n, file=sys.stderr)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "gen":
        gen(sys.argv[2], int(sys.argv[3]))
    elif command == "insert":
        insert(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        find(sys.argv[2], sys.argv[3])
