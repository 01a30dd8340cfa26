//! Cases ported from InfluxDB 1.x's influxql parser_test.go (inputs and expected texts are
//! facts about 1.x's behaviour; extracted once from the 1.6-era test file, skipped cases left out).

/// Statements 1.x parses (`TestParser_ParseStatement`, without bind parameters).
pub(crate) const VALID_STATEMENTS: &[&str] = &[
    r"SELECT * FROM myseries",
    r"SELECT * FROM myseries GROUP BY *",
    r"SELECT field1, * FROM myseries GROUP BY *",
    r"SELECT *, field1 FROM myseries GROUP BY *",
    r#"SELECT "foo.bar.baz" AS foo FROM myseries"#,
    r#"SELECT "foo.bar.baz" AS foo FROM foo"#,
    r"SELECT sample(field1, 100) FROM myseries;",
    r"SELECT derivative(field1, 1h) FROM myseries;",
    r"SELECT derivative(field1, 1h) / derivative(field2, 1h) FROM myseries",
    r"SELECT difference(field1) FROM myseries;",
    r"SELECT non_negative_difference(field1) FROM myseries;",
    r"SELECT moving_average(field1, 3) FROM myseries;",
    r"select my_field from myseries",
    r"SELECT field1 FROM myseries SLIMIT 10 SOFFSET 5",
    r"SELECT * FROM cpu WHERE host = 'serverC' AND region =~ /.*west.*/",
    r#"select percentile("field1", 2.0) from cpu"#,
    r#"select percentile("field1", 2.0), field2 from cpu"#,
    r#"select top("field1", 2) from cpu"#,
    r"select top(field1, 2) from cpu",
    r"select top(field1, 2), tag1 from cpu",
    r"select top(field1, tag1, 2), tag1 from cpu",
    r"select distinct(field1) from cpu",
    r"select distinct field2 from network",
    r"select count(distinct field3) from metrics",
    r"select count(distinct field3), sum(field4) from metrics",
    r"select count(distinct(field3)), sum(field4) from metrics",
    r"SELECT * FROM cpu WHERE load > 100",
    r"SELECT * FROM cpu WHERE load >= 100",
    r"SELECT * FROM cpu WHERE load = 100",
    r"SELECT * FROM cpu WHERE load <= 100",
    r"SELECT * FROM cpu WHERE load < 100",
    r"SELECT * FROM cpu WHERE load != 100",
    r"SELECT * FROM /cpu.*/",
    r#"SELECT * FROM "db"."rp"./cpu.*/"#,
    r#"SELECT * FROM "db"../cpu.*/"#,
    r#"SELECT * FROM "rp"./cpu.*/"#,
    r#"SELECT sum(value) FROM "kbps" WHERE time > now() - 120s AND deliveryservice='steam-dns' and cachegroup = 'total' GROUP BY time(60s)"#,
    r"SELECT field1::float, field2::integer, field6::unsigned, field3::string, field4::boolean, field5::field, tag1::tag FROM cpu",
    r"SELECT sum(derivative) FROM (SELECT derivative(value) FROM cpu GROUP BY host) WHERE time >= now() - 1d GROUP BY time(1h)",
    r"SELECT sum(mean) FROM (SELECT mean(value) FROM cpu GROUP BY time(1h)) WHERE time >= now() - 1d",
    r"SELECT sum(mean) FROM (SELECT mean(value) FROM cpu WHERE time >= now() - 1d GROUP BY time(1h))",
    r"SELECT sum(derivative) FROM (SELECT derivative(mean(value)) FROM cpu GROUP BY host) WHERE time >= now() - 1d GROUP BY time(1h)",
    r#"SELECT "user" /*, system, idle */ FROM cpu"#,
    r"SELECT /foo\/*bar/ FROM /foo\/*bar*/ WHERE x = 1",
    r"SELECT mean(value) FROM cpu WHERE time >= now() - 7d GROUP BY time(1d) TZ('America/Los_Angeles')",
    r"EXPLAIN SELECT * FROM cpu",
    r"EXPLAIN ANALYZE SELECT * FROM cpu",
    r"SHOW GRANTS FOR jdoe",
    r"SHOW DATABASES",
    r"SHOW SERIES",
    r"SHOW SERIES FROM cpu",
    r"SHOW SERIES ON db0",
    r"SHOW SERIES FROM /[cg]pu/",
    r"SHOW SERIES OFFSET 0",
    r"SHOW SERIES CARDINALITY",
    r"SHOW SERIES CARDINALITY ON dbz",
    r"SHOW SERIES EXACT CARDINALITY",
    r"SHOW SERIES EXACT CARDINALITY FROM cpu",
    r"SHOW SERIES EXACT CARDINALITY ON db0",
    r"SHOW SERIES EXACT CARDINALITY FROM /[cg]pu/",
    r"SHOW SERIES EXACT CARDINALITY OFFSET 0",
    r"SHOW SERIES EXACT CARDINALITY LIMIT 2 OFFSET 0",
    r"SHOW MEASUREMENTS ON db0",
    r"SHOW MEASUREMENTS WITH MEASUREMENT = cpu",
    r"SHOW MEASUREMENTS WITH MEASUREMENT =~ /[cg]pu/",
    r"SHOW MEASUREMENT CARDINALITY",
    r"SHOW MEASUREMENT CARDINALITY ON db0",
    r"SHOW MEASUREMENT EXACT CARDINALITY",
    r"SHOW MEASUREMENT EXACT CARDINALITY FROM cpu",
    r"SHOW MEASUREMENT EXACT CARDINALITY ON db0",
    r"SHOW MEASUREMENT EXACT CARDINALITY FROM /[cg]pu/",
    r"SHOW MEASUREMENT EXACT CARDINALITY OFFSET 0",
    r"SHOW MEASUREMENT EXACT CARDINALITY LIMIT 2 OFFSET 0",
    r"SHOW MEASUREMENT EXACT CARDINALITY WHERE region = 'order by desc' LIMIT 10",
    r"SHOW QUERIES",
    r"KILL QUERY 4",
    r"KILL QUERY 4 ON localhost",
    r"SHOW RETENTION POLICIES",
    r"SHOW RETENTION POLICIES ON db0",
    r"SHOW TAG KEY CARDINALITY",
    r"SHOW TAG KEY CARDINALITY FROM cpu",
    r"SHOW TAG KEY CARDINALITY ON db0",
    r"SHOW TAG KEY CARDINALITY FROM /[cg]pu/",
    r"SHOW TAG KEY CARDINALITY OFFSET 0",
    r"SHOW TAG KEY CARDINALITY LIMIT 2 OFFSET 0",
    r"SHOW TAG KEY CARDINALITY WHERE region = 'order by desc' LIMIT 10",
    r"SHOW TAG KEY EXACT CARDINALITY",
    r"SHOW TAG KEY EXACT CARDINALITY FROM cpu",
    r"SHOW TAG KEY EXACT CARDINALITY ON db0",
    r"SHOW TAG KEY EXACT CARDINALITY FROM /[cg]pu/",
    r"SHOW TAG KEY EXACT CARDINALITY OFFSET 0",
    r"SHOW TAG KEY EXACT CARDINALITY LIMIT 2 OFFSET 0",
    r"SHOW TAG KEY EXACT CARDINALITY WHERE region = 'order by desc' LIMIT 10",
    r"SHOW TAG KEYS FROM src",
    r"SHOW TAG KEYS ON db0",
    r"SHOW TAG KEYS FROM src LIMIT 2",
    r"SHOW TAG KEYS FROM src OFFSET 1",
    r"SHOW TAG KEYS FROM src LIMIT 2 OFFSET 1",
    r"SHOW TAG KEYS FROM src SLIMIT 2",
    r"SHOW TAG KEYS FROM src SOFFSET 1",
    r"SHOW TAG KEYS FROM src SLIMIT 2 SOFFSET 1",
    r"SHOW TAG KEYS FROM src LIMIT 4 OFFSET 3 SLIMIT 2 SOFFSET 1",
    r"SHOW TAG VALUES FROM cpu WITH KEY IN (region, host) WHERE region = 'uswest'",
    r"SHOW TAG VALUES FROM cpu WITH KEY IN (region,service,host)WHERE region = 'uswest'",
    r"SHOW TAG VALUES WITH KEY = host WHERE region = 'uswest'",
    r"SHOW TAG VALUES FROM /[cg]pu/ WITH KEY = host",
    r#"SHOW TAG VALUES WITH KEY = "host" WHERE region = 'uswest'"#,
    r"SHOW TAG VALUES WITH KEY =~ /(host|region)/",
    r#"SHOW TAG VALUES ON db0 WITH KEY = "host""#,
    r"SHOW TAG VALUES CARDINALITY WITH KEY = host",
    r"SHOW TAG VALUES CARDINALITY FROM cpu WITH KEY =  host",
    r"SHOW TAG VALUES CARDINALITY ON db0 WITH KEY = host",
    r"SHOW TAG VALUES CARDINALITY FROM /[cg]pu/ WITH KEY = host",
    r"SHOW TAG VALUES CARDINALITY WITH KEY = host OFFSET 0",
    r"SHOW TAG VALUES CARDINALITY WITH KEY = host LIMIT 2 OFFSET 0",
    r"SHOW TAG VALUES CARDINALITY WITH KEY = host WHERE region = 'order by desc' LIMIT 10",
    r"SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host",
    r"SHOW TAG VALUES EXACT CARDINALITY FROM cpu WITH KEY =  host",
    r"SHOW TAG VALUES EXACT CARDINALITY ON db0 WITH KEY = host",
    r"SHOW TAG VALUES EXACT CARDINALITY FROM /[cg]pu/ WITH KEY = host",
    r"SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host OFFSET 0",
    r"SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host LIMIT 2 OFFSET 0",
    r"SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host WHERE region = 'order by desc' LIMIT 10",
    r"SHOW FIELD KEYS FROM /[cg]pu/",
    r"SHOW FIELD KEYS ON db0",
    r"SHOW FIELD KEY CARDINALITY",
    r"SHOW FIELD KEY CARDINALITY FROM cpu",
    r"SHOW FIELD KEY CARDINALITY ON db0",
    r"SHOW FIELD KEY CARDINALITY FROM /[cg]pu/",
    r"SHOW FIELD KEY CARDINALITY OFFSET 0",
    r"SHOW FIELD KEY CARDINALITY LIMIT 2 OFFSET 0",
    r"SHOW FIELD KEY CARDINALITY WHERE region = 'order by desc' LIMIT 10",
    r"SHOW FIELD KEY EXACT CARDINALITY",
    r"SHOW FIELD KEY EXACT CARDINALITY FROM cpu",
    r"SHOW FIELD KEY EXACT CARDINALITY ON db0",
    r"SHOW FIELD KEY EXACT CARDINALITY FROM /[cg]pu/",
    r"SHOW FIELD KEY EXACT CARDINALITY OFFSET 0",
    r"SHOW FIELD KEY EXACT CARDINALITY LIMIT 2 OFFSET 0",
    r"SHOW FIELD KEY EXACT CARDINALITY WHERE region = 'order by desc' LIMIT 10",
    r"DELETE FROM src",
    r"DELETE WHERE host = 'hosta.influxdb.org'",
    r"DELETE FROM src WHERE host = 'hosta.influxdb.org'",
    r"DROP SERIES FROM src",
    r"DROP SERIES WHERE host = 'hosta.influxdb.org'",
    r"DROP SERIES FROM src WHERE host = 'hosta.influxdb.org'",
    r"SHOW CONTINUOUS QUERIES",
    r"CREATE CONTINUOUS QUERY myquery ON testdb RESAMPLE EVERY 1m FOR 1h BEGIN SELECT count(field1) INTO measure1 FROM myseries GROUP BY time(5m) END",
    r"CREATE CONTINUOUS QUERY myquery ON testdb RESAMPLE FOR 1h BEGIN SELECT count(field1) INTO measure1 FROM myseries GROUP BY time(5m) END",
    r"CREATE CONTINUOUS QUERY myquery ON testdb RESAMPLE EVERY 1m BEGIN SELECT count(field1) INTO measure1 FROM myseries GROUP BY time(5m) END",
    r#"create continuous query "this.is-a.test" on segments begin select * into measure1 from cpu_load_short end"#,
    r#"CREATE CONTINUOUS QUERY myquery ON testdb BEGIN SELECT count(field1) INTO "1h.policy1"."cpu.load" FROM myseries GROUP BY time(5m) END"#,
    r#"CREATE CONTINUOUS QUERY myquery ON testdb BEGIN SELECT value INTO "policy1"."value" FROM myseries END"#,
    r#"CREATE CONTINUOUS QUERY myquery ON testdb BEGIN SELECT transmit_rx, transmit_tx INTO "policy1"."network" FROM myseries END"#,
    r#"CREATE CONTINUOUS QUERY myquery ON testdb BEGIN SELECT mean(value) INTO "policy1".:measurement FROM /^[a-z]+.*/ GROUP BY time(1m) END"#,
    r"CREATE DATABASE testdb",
    r"CREATE DATABASE testdb WITH DURATION 24h",
    r"CREATE DATABASE testdb WITH SHARD DURATION 30m",
    r"CREATE DATABASE testdb WITH REPLICATION 2",
    r"CREATE DATABASE testdb WITH NAME test_name",
    r"CREATE DATABASE testdb WITH DURATION 24h REPLICATION 2 NAME test_name",
    r"CREATE DATABASE testdb WITH DURATION 24h REPLICATION 2 SHARD DURATION 10m NAME test_name ",
    r"CREATE USER testuser WITH PASSWORD 'pwd1337'",
    r"CREATE USER testuser WITH PASSWORD 'pwd1337' WITH ALL PRIVILEGES",
    r"SET PASSWORD FOR testuser = 'pwd1337'",
    r"DROP CONTINUOUS QUERY myquery ON foo",
    r"DROP DATABASE testdb",
    r"DROP MEASUREMENT cpu",
    r#"DROP RETENTION POLICY "1h.cpu" ON mydb"#,
    r"DROP USER jdoe",
    r"GRANT READ ON testdb TO jdoe",
    r"GRANT WRITE ON testdb TO jdoe",
    r"GRANT ALL ON testdb TO jdoe",
    r"GRANT ALL PRIVILEGES ON testdb TO jdoe",
    r"GRANT ALL TO jdoe",
    r"GRANT ALL PRIVILEGES TO jdoe",
    r"REVOKE READ on testdb FROM jdoe",
    r"REVOKE WRITE ON testdb FROM jdoe",
    r"REVOKE ALL ON testdb FROM jdoe",
    r"REVOKE ALL PRIVILEGES ON testdb FROM jdoe",
    r"REVOKE ALL FROM jdoe",
    r"REVOKE ALL PRIVILEGES FROM jdoe",
    r"CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2",
    r"CREATE RETENTION POLICY policy1 ON testdb DURATION INF REPLICATION 2",
    r"CREATE RETENTION POLICY policy1 ON testdb DURATION 2m REPLICATION 4 DEFAULT",
    r"CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2 SHARD DURATION 30m",
    r"CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2 SHARD DURATION 0s",
    r"CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2 SHARD DURATION 1s",
    r"ALTER RETENTION POLICY policy1 ON testdb DURATION 1m REPLICATION 4 DEFAULT",
    r"ALTER RETENTION POLICY policy1 ON testdb DEFAULT REPLICATION 4 DURATION 1m",
    r"ALTER RETENTION POLICY policy1 ON testdb DEFAULT REPLICATION 4 DURATION INF",
    r"ALTER RETENTION POLICY policy1 ON testdb DEFAULT REPLICATION 4",
    r"ALTER RETENTION POLICY policy1 ON testdb DEFAULT",
    r"ALTER RETENTION POLICY policy1 ON testdb REPLICATION 4",
    r"ALTER RETENTION POLICY default ON testdb REPLICATION 4",
    r"ALTER RETENTION POLICY policy1 ON testdb REPLICATION 4 SHARD DURATION 10m",
    r"ALTER RETENTION POLICY default ON testdb DURATION 0s REPLICATION 4 SHARD DURATION 10m DEFAULT",
    r"ALTER RETENTION POLICY default ON testdb DURATION 0s REPLICATION 1 SHARD DURATION 0s",
    r"SHOW STATS",
    r"SHOW STATS FOR 'cluster'",
    r"SHOW SHARD GROUPS",
    r"SHOW SHARDS",
    r"SHOW DIAGNOSTICS",
    r"SHOW DIAGNOSTICS FOR 'build'",
    r#"CREATE SUBSCRIPTION "name" ON "db"."rp" DESTINATIONS ANY 'udp://host1:9093', 'udp://host2:9093'"#,
    r#"DROP SUBSCRIPTION "name" ON "db"."rp""#,
    r"SHOW SUBSCRIPTIONS",
];

/// Statements 1.x refuses, with its exact error text.
pub(crate) const STATEMENT_ERRORS: &[(&str, &str)] = &[
    (
        r"SELECT",
        r"found EOF, expected identifier, string, number, bool at line 1, char 8",
    ),
    (
        r"blah blah",
        r"found blah, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1",
    ),
    (
        r"SELECT field1 X",
        r"found X, expected FROM at line 1, char 15",
    ),
    (
        r#"SELECT field1 FROM "series" WHERE X +;"#,
        r"found ;, expected identifier, string, number, bool at line 1, char 38",
    ),
    (
        r"SELECT field1 FROM myseries GROUP",
        r"found EOF, expected BY at line 1, char 35",
    ),
    (
        r"SELECT field1 FROM myseries LIMIT",
        r"found EOF, expected integer at line 1, char 35",
    ),
    (
        r"SELECT field1 FROM myseries LIMIT 10.5",
        r"found 10.5, expected integer at line 1, char 35",
    ),
    (
        r"SELECT field1 FROM myseries OFFSET",
        r"found EOF, expected integer at line 1, char 36",
    ),
    (
        r"SELECT field1 FROM myseries OFFSET 10.5",
        r"found 10.5, expected integer at line 1, char 36",
    ),
    (
        r"SELECT field1 FROM myseries ORDER",
        r"found EOF, expected BY at line 1, char 35",
    ),
    (
        r"SELECT field1 FROM myseries ORDER BY",
        r"found EOF, expected identifier, ASC, DESC at line 1, char 38",
    ),
    (
        r"SELECT field1 FROM myseries ORDER BY /",
        r"found /, expected identifier, ASC, DESC at line 1, char 38",
    ),
    (
        r"SELECT field1 FROM myseries ORDER BY 1",
        r"found 1, expected identifier, ASC, DESC at line 1, char 38",
    ),
    (
        r"SELECT field1 FROM myseries ORDER BY time ASC,",
        r"found EOF, expected identifier at line 1, char 47",
    ),
    (
        r"SELECT field1 FROM myseries ORDER BY time, field1",
        r"only ORDER BY time supported at this time",
    ),
    (
        r"SELECT field1 AS",
        r"found EOF, expected identifier at line 1, char 18",
    ),
    (
        r"SELECT field1 FROM 12",
        r"found 12, expected identifier at line 1, char 20",
    ),
    (
        r"SELECT 1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 FROM myseries",
        r"unable to parse integer at line 1, char 8",
    ),
    (
        r"SELECT 10.5h FROM myseries",
        r"found h, expected FROM at line 1, char 12",
    ),
    (
        r"SELECT distinct FROM myseries",
        r"found FROM, expected identifier at line 1, char 17",
    ),
    (
        r"SELECT count(distinct) FROM myseries",
        r"found ), expected (, identifier at line 1, char 22",
    ),
    (
        r"SELECT field1 from myseries WHERE host =~ 'asd' LIMIT 1",
        r"found asd, expected regex at line 1, char 42",
    ),
    (
        r"SELECT value > 2 FROM cpu",
        r"invalid operator > in SELECT clause at line 1, char 8; operator is intended for WHERE clause",
    ),
    (
        r"SELECT value = 2 FROM cpu",
        r"invalid operator = in SELECT clause at line 1, char 8; operator is intended for WHERE clause",
    ),
    (
        r"SELECT s =~ /foo/ FROM cpu",
        r"invalid operator =~ in SELECT clause at line 1, char 8; operator is intended for WHERE clause",
    ),
    (
        r"SELECT mean(value) FROM cpu FILL + value",
        r"fill must be a function call",
    ),
    (
        r"DELETE",
        r"found EOF, expected FROM, WHERE at line 1, char 8",
    ),
    (
        r"DELETE FROM",
        r"found EOF, expected identifier at line 1, char 13",
    ),
    (
        r"DELETE FROM myseries WHERE",
        r"found EOF, expected identifier, string, number, bool at line 1, char 28",
    ),
    (
        r#"DELETE FROM "foo".myseries"#,
        r"retention policy not supported at line 1, char 1",
    ),
    (
        r"DELETE FROM foo..myseries",
        r"database not supported at line 1, char 1",
    ),
    (
        r"DROP MEASUREMENT",
        r"found EOF, expected identifier at line 1, char 18",
    ),
    (
        r"DROP SERIES",
        r"found EOF, expected FROM, WHERE at line 1, char 13",
    ),
    (
        r"DROP SERIES FROM",
        r"found EOF, expected identifier at line 1, char 18",
    ),
    (
        r"DROP SERIES FROM src WHERE",
        r"found EOF, expected identifier, string, number, bool at line 1, char 28",
    ),
    (
        r#"DROP SERIES FROM "foo".myseries"#,
        r"retention policy not supported at line 1, char 1",
    ),
    (
        r"DROP SERIES FROM foo..myseries",
        r"database not supported at line 1, char 1",
    ),
    (
        r"SHOW CONTINUOUS",
        r"found EOF, expected QUERIES at line 1, char 17",
    ),
    (
        r"SHOW RETENTION",
        r"found EOF, expected POLICIES at line 1, char 16",
    ),
    (
        r"SHOW RETENTION ON",
        r"found ON, expected POLICIES at line 1, char 16",
    ),
    (
        r"SHOW RETENTION POLICIES ON",
        r"found EOF, expected identifier at line 1, char 28",
    ),
    (
        r"SHOW SHARD",
        r"found EOF, expected GROUPS at line 1, char 12",
    ),
    (
        r"SHOW FOO",
        r"found FOO, expected CONTINUOUS, DATABASES, DIAGNOSTICS, FIELD, GRANTS, MEASUREMENT, MEASUREMENTS, QUERIES, RETENTION, SERIES, SHARD, SHARDS, STATS, SUBSCRIPTIONS, TAG, USERS at line 1, char 6",
    ),
    (
        r"SHOW STATS FOR",
        r"found EOF, expected string at line 1, char 16",
    ),
    (
        r"SHOW DIAGNOSTICS FOR",
        r"found EOF, expected string at line 1, char 22",
    ),
    (
        r"SHOW GRANTS",
        r"found EOF, expected FOR at line 1, char 13",
    ),
    (
        r"SHOW GRANTS FOR",
        r"found EOF, expected identifier at line 1, char 17",
    ),
    (
        r"DROP CONTINUOUS",
        r"found EOF, expected QUERY at line 1, char 17",
    ),
    (
        r"DROP CONTINUOUS QUERY",
        r"found EOF, expected identifier at line 1, char 23",
    ),
    (
        r"DROP CONTINUOUS QUERY myquery",
        r"found EOF, expected ON at line 1, char 31",
    ),
    (
        r"DROP CONTINUOUS QUERY myquery ON",
        r"found EOF, expected identifier at line 1, char 34",
    ),
    (
        r"CREATE CONTINUOUS",
        r"found EOF, expected QUERY at line 1, char 19",
    ),
    (
        r"CREATE CONTINUOUS QUERY",
        r"found EOF, expected identifier at line 1, char 25",
    ),
    (
        r"CREATE CONTINUOUS QUERY cq ON db RESAMPLE FOR 5s BEGIN SELECT mean(value) INTO cpu_mean FROM cpu GROUP BY time(10s) END",
        r"FOR duration must be >= GROUP BY time duration: must be a minimum of 10s, got 5s",
    ),
    (
        r"CREATE CONTINUOUS QUERY cq ON db RESAMPLE EVERY 10s FOR 5s BEGIN SELECT mean(value) INTO cpu_mean FROM cpu GROUP BY time(5s) END",
        r"FOR duration must be >= GROUP BY time duration: must be a minimum of 10s, got 5s",
    ),
    (
        r"DROP FOO",
        r"found FOO, expected CONTINUOUS, DATABASE, MEASUREMENT, RETENTION, SERIES, SHARD, SUBSCRIPTION, USER at line 1, char 6",
    ),
    (
        r"CREATE FOO",
        r"found FOO, expected CONTINUOUS, DATABASE, USER, RETENTION, SUBSCRIPTION at line 1, char 8",
    ),
    (
        r"CREATE DATABASE",
        r"found EOF, expected identifier at line 1, char 17",
    ),
    (
        r#"CREATE DATABASE "testdb" WITH"#,
        r"found EOF, expected DURATION, NAME, REPLICATION, SHARD at line 1, char 31",
    ),
    (
        r#"CREATE DATABASE "testdb" WITH DURATION"#,
        r"found EOF, expected duration at line 1, char 40",
    ),
    (
        r#"CREATE DATABASE "testdb" WITH REPLICATION"#,
        r"found EOF, expected integer at line 1, char 43",
    ),
    (
        r#"CREATE DATABASE "testdb" WITH NAME"#,
        r"found EOF, expected identifier at line 1, char 36",
    ),
    (
        r#"CREATE DATABASE "testdb" WITH SHARD"#,
        r"found EOF, expected DURATION at line 1, char 37",
    ),
    (
        r"DROP DATABASE",
        r"found EOF, expected identifier at line 1, char 15",
    ),
    (
        r"DROP RETENTION",
        r"found EOF, expected POLICY at line 1, char 16",
    ),
    (
        r"DROP RETENTION POLICY",
        r"found EOF, expected identifier at line 1, char 23",
    ),
    (
        r#"DROP RETENTION POLICY "1h.cpu""#,
        r"found EOF, expected ON at line 1, char 31",
    ),
    (
        r#"DROP RETENTION POLICY "1h.cpu" ON"#,
        r"found EOF, expected identifier at line 1, char 35",
    ),
    (
        r"DROP USER",
        r"found EOF, expected identifier at line 1, char 11",
    ),
    (
        r"DROP SUBSCRIPTION",
        r"found EOF, expected identifier at line 1, char 19",
    ),
    (
        r#"DROP SUBSCRIPTION "name""#,
        r"found EOF, expected ON at line 1, char 25",
    ),
    (
        r#"DROP SUBSCRIPTION "name" ON "#,
        r"found EOF, expected identifier at line 1, char 30",
    ),
    (
        r#"DROP SUBSCRIPTION "name" ON "db""#,
        r"found EOF, expected . at line 1, char 33",
    ),
    (
        r#"DROP SUBSCRIPTION "name" ON "db"."#,
        r"found EOF, expected identifier at line 1, char 34",
    ),
    (
        r"CREATE USER testuser",
        r"found EOF, expected WITH at line 1, char 22",
    ),
    (
        r"CREATE USER testuser WITH",
        r"found EOF, expected PASSWORD at line 1, char 27",
    ),
    (
        r"CREATE USER testuser WITH PASSWORD",
        r"found EOF, expected string at line 1, char 36",
    ),
    (
        r"CREATE USER testuser WITH PASSWORD 'pwd' WITH",
        r"found EOF, expected ALL at line 1, char 47",
    ),
    (
        r"CREATE USER testuser WITH PASSWORD 'pwd' WITH ALL",
        r"found EOF, expected PRIVILEGES at line 1, char 51",
    ),
    (
        r"CREATE SUBSCRIPTION",
        r"found EOF, expected identifier at line 1, char 21",
    ),
    (
        r#"CREATE SUBSCRIPTION "name""#,
        r"found EOF, expected ON at line 1, char 27",
    ),
    (
        r#"CREATE SUBSCRIPTION "name" ON "#,
        r"found EOF, expected identifier at line 1, char 32",
    ),
    (
        r#"CREATE SUBSCRIPTION "name" ON "db""#,
        r"found EOF, expected . at line 1, char 35",
    ),
    (
        r#"CREATE SUBSCRIPTION "name" ON "db"."#,
        r"found EOF, expected identifier at line 1, char 36",
    ),
    (
        r#"CREATE SUBSCRIPTION "name" ON "db"."rp""#,
        r"found EOF, expected DESTINATIONS at line 1, char 40",
    ),
    (
        r#"CREATE SUBSCRIPTION "name" ON "db"."rp" DESTINATIONS"#,
        r"found EOF, expected ALL, ANY at line 1, char 54",
    ),
    (
        r#"CREATE SUBSCRIPTION "name" ON "db"."rp" DESTINATIONS ALL "#,
        r"found EOF, expected string at line 1, char 59",
    ),
    (
        r"GRANT",
        r"found EOF, expected READ, WRITE, ALL [PRIVILEGES] at line 1, char 7",
    ),
    (
        r"GRANT BOGUS",
        r"found BOGUS, expected READ, WRITE, ALL [PRIVILEGES] at line 1, char 7",
    ),
    (r"GRANT READ", r"found EOF, expected ON at line 1, char 12"),
    (
        r"GRANT READ FROM",
        r"found FROM, expected ON at line 1, char 12",
    ),
    (
        r"GRANT READ ON",
        r"found EOF, expected identifier at line 1, char 15",
    ),
    (
        r"GRANT READ ON TO",
        r"found TO, expected identifier at line 1, char 15",
    ),
    (
        r"GRANT READ ON testdb",
        r"found EOF, expected TO at line 1, char 22",
    ),
    (
        r"GRANT READ ON testdb TO",
        r"found EOF, expected identifier at line 1, char 25",
    ),
    (
        r"GRANT READ TO",
        r"found TO, expected ON at line 1, char 12",
    ),
    (r"GRANT WRITE", r"found EOF, expected ON at line 1, char 13"),
    (
        r"GRANT WRITE FROM",
        r"found FROM, expected ON at line 1, char 13",
    ),
    (
        r"GRANT WRITE ON",
        r"found EOF, expected identifier at line 1, char 16",
    ),
    (
        r"GRANT WRITE ON TO",
        r"found TO, expected identifier at line 1, char 16",
    ),
    (
        r"GRANT WRITE ON testdb",
        r"found EOF, expected TO at line 1, char 23",
    ),
    (
        r"GRANT WRITE ON testdb TO",
        r"found EOF, expected identifier at line 1, char 26",
    ),
    (
        r"GRANT WRITE TO",
        r"found TO, expected ON at line 1, char 13",
    ),
    (
        r"GRANT ALL",
        r"found EOF, expected ON, TO at line 1, char 11",
    ),
    (
        r"GRANT ALL PRIVILEGES",
        r"found EOF, expected ON, TO at line 1, char 22",
    ),
    (
        r"GRANT ALL FROM",
        r"found FROM, expected ON, TO at line 1, char 11",
    ),
    (
        r"GRANT ALL PRIVILEGES FROM",
        r"found FROM, expected ON, TO at line 1, char 22",
    ),
    (
        r"GRANT ALL ON",
        r"found EOF, expected identifier at line 1, char 14",
    ),
    (
        r"GRANT ALL PRIVILEGES ON",
        r"found EOF, expected identifier at line 1, char 25",
    ),
    (
        r"GRANT ALL ON TO",
        r"found TO, expected identifier at line 1, char 14",
    ),
    (
        r"GRANT ALL PRIVILEGES ON TO",
        r"found TO, expected identifier at line 1, char 25",
    ),
    (
        r"GRANT ALL ON testdb",
        r"found EOF, expected TO at line 1, char 21",
    ),
    (
        r"GRANT ALL PRIVILEGES ON testdb",
        r"found EOF, expected TO at line 1, char 32",
    ),
    (
        r"GRANT ALL ON testdb FROM",
        r"found FROM, expected TO at line 1, char 21",
    ),
    (
        r"GRANT ALL PRIVILEGES ON testdb FROM",
        r"found FROM, expected TO at line 1, char 32",
    ),
    (
        r"GRANT ALL ON testdb TO",
        r"found EOF, expected identifier at line 1, char 24",
    ),
    (
        r"GRANT ALL PRIVILEGES ON testdb TO",
        r"found EOF, expected identifier at line 1, char 35",
    ),
    (
        r"GRANT ALL TO",
        r"found EOF, expected identifier at line 1, char 14",
    ),
    (
        r"GRANT ALL PRIVILEGES TO",
        r"found EOF, expected identifier at line 1, char 25",
    ),
    (r"KILL", r"found EOF, expected QUERY at line 1, char 6"),
    (
        r"KILL QUERY 10s",
        r"found 10s, expected integer at line 1, char 12",
    ),
    (
        r"KILL QUERY 4 ON 'host'",
        r"found host, expected identifier at line 1, char 16",
    ),
    (
        r"REVOKE",
        r"found EOF, expected READ, WRITE, ALL [PRIVILEGES] at line 1, char 8",
    ),
    (
        r"REVOKE BOGUS",
        r"found BOGUS, expected READ, WRITE, ALL [PRIVILEGES] at line 1, char 8",
    ),
    (r"REVOKE READ", r"found EOF, expected ON at line 1, char 13"),
    (
        r"REVOKE READ TO",
        r"found TO, expected ON at line 1, char 13",
    ),
    (
        r"REVOKE READ ON",
        r"found EOF, expected identifier at line 1, char 16",
    ),
    (
        r"REVOKE READ ON FROM",
        r"found FROM, expected identifier at line 1, char 16",
    ),
    (
        r"REVOKE READ ON testdb",
        r"found EOF, expected FROM at line 1, char 23",
    ),
    (
        r"REVOKE READ ON testdb FROM",
        r"found EOF, expected identifier at line 1, char 28",
    ),
    (
        r"REVOKE READ FROM",
        r"found FROM, expected ON at line 1, char 13",
    ),
    (
        r"REVOKE WRITE",
        r"found EOF, expected ON at line 1, char 14",
    ),
    (
        r"REVOKE WRITE TO",
        r"found TO, expected ON at line 1, char 14",
    ),
    (
        r"REVOKE WRITE ON",
        r"found EOF, expected identifier at line 1, char 17",
    ),
    (
        r"REVOKE WRITE ON FROM",
        r"found FROM, expected identifier at line 1, char 17",
    ),
    (
        r"REVOKE WRITE ON testdb",
        r"found EOF, expected FROM at line 1, char 24",
    ),
    (
        r"REVOKE WRITE ON testdb FROM",
        r"found EOF, expected identifier at line 1, char 29",
    ),
    (
        r"REVOKE WRITE FROM",
        r"found FROM, expected ON at line 1, char 14",
    ),
    (
        r"REVOKE ALL",
        r"found EOF, expected ON, FROM at line 1, char 12",
    ),
    (
        r"REVOKE ALL PRIVILEGES",
        r"found EOF, expected ON, FROM at line 1, char 23",
    ),
    (
        r"REVOKE ALL TO",
        r"found TO, expected ON, FROM at line 1, char 12",
    ),
    (
        r"REVOKE ALL PRIVILEGES TO",
        r"found TO, expected ON, FROM at line 1, char 23",
    ),
    (
        r"REVOKE ALL ON",
        r"found EOF, expected identifier at line 1, char 15",
    ),
    (
        r"REVOKE ALL PRIVILEGES ON",
        r"found EOF, expected identifier at line 1, char 26",
    ),
    (
        r"REVOKE ALL ON FROM",
        r"found FROM, expected identifier at line 1, char 15",
    ),
    (
        r"REVOKE ALL PRIVILEGES ON FROM",
        r"found FROM, expected identifier at line 1, char 26",
    ),
    (
        r"REVOKE ALL ON testdb",
        r"found EOF, expected FROM at line 1, char 22",
    ),
    (
        r"REVOKE ALL PRIVILEGES ON testdb",
        r"found EOF, expected FROM at line 1, char 33",
    ),
    (
        r"REVOKE ALL ON testdb TO",
        r"found TO, expected FROM at line 1, char 22",
    ),
    (
        r"REVOKE ALL PRIVILEGES ON testdb TO",
        r"found TO, expected FROM at line 1, char 33",
    ),
    (
        r"REVOKE ALL ON testdb FROM",
        r"found EOF, expected identifier at line 1, char 27",
    ),
    (
        r"REVOKE ALL PRIVILEGES ON testdb FROM",
        r"found EOF, expected identifier at line 1, char 38",
    ),
    (
        r"REVOKE ALL FROM",
        r"found EOF, expected identifier at line 1, char 17",
    ),
    (
        r"REVOKE ALL PRIVILEGES FROM",
        r"found EOF, expected identifier at line 1, char 28",
    ),
    (
        r"CREATE RETENTION",
        r"found EOF, expected POLICY at line 1, char 18",
    ),
    (
        r"CREATE RETENTION POLICY",
        r"found EOF, expected identifier at line 1, char 25",
    ),
    (
        r"CREATE RETENTION POLICY policy1",
        r"found EOF, expected ON at line 1, char 33",
    ),
    (
        r"CREATE RETENTION POLICY policy1 ON",
        r"found EOF, expected identifier at line 1, char 36",
    ),
    (
        r"CREATE RETENTION POLICY policy1 ON testdb",
        r"found EOF, expected DURATION at line 1, char 43",
    ),
    (
        r"CREATE RETENTION POLICY policy1 ON testdb DURATION",
        r"found EOF, expected duration at line 1, char 52",
    ),
    (
        r"CREATE RETENTION POLICY policy1 ON testdb DURATION bad",
        r"found bad, expected duration at line 1, char 52",
    ),
    (
        r"CREATE RETENTION POLICY policy1 ON testdb DURATION 1h",
        r"found EOF, expected REPLICATION at line 1, char 54",
    ),
    (
        r"CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION",
        r"found EOF, expected integer at line 1, char 67",
    ),
    (
        r"CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 3.14",
        r"found 3.14, expected integer at line 1, char 67",
    ),
    (
        r"CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 0",
        r"invalid value 0: must be 1 <= n <= 2147483647 at line 1, char 67",
    ),
    (
        r"CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION bad",
        r"found bad, expected integer at line 1, char 67",
    ),
    (
        r"CREATE RETENTION POLICY policy1 ON testdb DURATION 1h REPLICATION 2 SHARD DURATION INF",
        r"invalid duration INF for shard duration at line 1, char 84",
    ),
    (r"ALTER", r"found EOF, expected RETENTION at line 1, char 7"),
    (
        r"ALTER RETENTION",
        r"found EOF, expected POLICY at line 1, char 17",
    ),
    (
        r"ALTER RETENTION POLICY",
        r"found EOF, expected identifier at line 1, char 24",
    ),
    (
        r"ALTER RETENTION POLICY policy1",
        r"found EOF, expected ON at line 1, char 32",
    ),
    (
        r"ALTER RETENTION POLICY policy1 ON",
        r"found EOF, expected identifier at line 1, char 35",
    ),
    (
        r"ALTER RETENTION POLICY policy1 ON testdb",
        r"found EOF, expected DURATION, REPLICATION, SHARD, DEFAULT at line 1, char 42",
    ),
    (
        r"ALTER RETENTION POLICY policy1 ON testdb REPLICATION 1 REPLICATION 2",
        r"found duplicate REPLICATION option at line 1, char 56",
    ),
    (
        r"ALTER RETENTION POLICY policy1 ON testdb DURATION 15251w",
        r"overflowed duration 15251w: choose a smaller duration or INF at line 1, char 51",
    ),
    (
        r"ALTER RETENTION POLICY policy1 ON testdb DURATION INF SHARD DURATION INF",
        r"invalid duration INF for shard duration at line 1, char 70",
    ),
    (r"SET", r"found EOF, expected PASSWORD at line 1, char 5"),
    (
        r"SET PASSWORD",
        r"found EOF, expected FOR at line 1, char 14",
    ),
    (
        r"SET PASSWORD something",
        r"found something, expected FOR at line 1, char 14",
    ),
    (
        r"SET PASSWORD FOR",
        r"found EOF, expected identifier at line 1, char 18",
    ),
    (
        r"SET PASSWORD FOR dejan",
        r"found EOF, expected = at line 1, char 24",
    ),
    (
        r"SET PASSWORD FOR dejan =",
        r"found EOF, expected string at line 1, char 25",
    ),
    (
        r"SET PASSWORD FOR dejan = bla",
        r"found bla, expected string at line 1, char 26",
    ),
    (
        r"$SHOW$DATABASES",
        r"found $SHOW, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1",
    ),
    (
        r#"SELECT * FROM cpu WHERE "tagkey" = $$"#,
        r"empty bound parameter",
    ),
];

/// Expressions 1.x parses (`TestParser_ParseExpr`).
pub(crate) const VALID_EXPRS: &[&str] = &[
    r"100.0",
    r"100",
    r"9223372036854775808",
    r"-9223372036854775808",
    r"-100.0",
    r"-100",
    r"100.",
    r"-100.",
    r".23",
    r"-.23",
    r"1s",
    r"-1s",
    r"'foo bar'",
    r"true",
    r"false",
    r"my_ident",
    r"'2000-01-01 00:00:00'",
    r"'2000-01-01'",
    r"1 + 2",
    r"1 * 2 + 3",
    r"1 + 2 * 3",
    r"1 / 2 + 3",
    r"1 + 2 / 3",
    r"1 % 2 + 3",
    r"1 + 2 % 3",
    r"(1 + 2) * 3",
    r"1 * 2 * 3",
    r"1+2-3",
    r"time>now()-5m",
    r"-value",
    r"-mean(value)",
    r"-(-4)",
    r"-2 * 3",
    r"region =~ /us.*/",
    r"url =~ /http\:\/\/www\.example\.com/",
    r"url=~/http\:\/\/www\.example\.com/",
    r"value + 3 < 30 AND 1 + 2 OR true",
    r"time > now() - 1d AND time < now() + 1d",
    r"my_func()",
    r"my_func(1, 2 + 3)",
];

/// Expressions 1.x refuses, with its exact error text.
pub(crate) const EXPR_ERRORS: &[(&str, &str)] = &[
    (
        r"-9223372036854775809",
        r"constant -9223372036854775809 underflows int64",
    ),
    (
        r"-+1",
        r"found +, expected identifier, number, duration, ( at line 1, char 2",
    ),
];
