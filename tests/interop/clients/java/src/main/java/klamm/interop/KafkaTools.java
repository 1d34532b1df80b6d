/*
 * Kafka's own command-line tools (kafka-tools 4.4.0) against the broker, as
 * a developer types them: the seed 002 walk-through (kafka-topics --create,
 * "Hello Kafka" through kafka-console-producer, read back with
 * kafka-console-consumer --from-beginning), then kafka-consumer-groups
 * (--list, --describe with its lag columns, --reset-offsets) and
 * kafka-configs (--alter, --describe, and --describe --all of a new topic,
 * compared with the topic configs and defaults Kafka 4.4 lists).
 *
 * The seed runs three brokers and a replication factor of 2 with Kafka 2's
 * flags (--zookeeper, --broker-list); Kafka 4's tools take --bootstrap-server
 * only, and the matrix gives one broker, so the topic is created with
 * --replication-factor 1. Topics and groups are named <prefix>-...
 *
 * Usage: java -cp klamm-interop.jar klamm.interop.KafkaTools <bootstrap> <prefix>
 */
package klamm.interop;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import klamm.interop.Harness.Deadline;
import klamm.interop.Tool.Result;

public final class KafkaTools {
    private static final Duration TOOL_LIMIT = Duration.ofSeconds(40);

    private final Tool tool = new Tool();
    private final String bootstrap;
    private final String seedTopic;
    private final String lagTopic;
    private final String group;
    private boolean lagReady;

    private KafkaTools(String bootstrap, String prefix) {
        this.bootstrap = bootstrap;
        this.seedTopic = prefix + "-my-first-topic";
        this.lagTopic = prefix + "-lag";
        this.group = prefix + "-tools-group";
    }

    public static void main(String[] argv) throws Exception {
        String[] args = Harness.start("kafka-tools", argv);
        KafkaTools t = new KafkaTools(args[0], args[1]);
        Harness.version("kafka-tools", t.version());
        new Harness(Duration.ofSeconds(45), Duration.ofSeconds(175))
                .atEnd(Tool::stopAll)
                .add("seed-002-create-topic", t::createTopic)
                .add("seed-002-console-producer", t::consoleProducer)
                .add("seed-002-console-consumer", t::consoleConsumer)
                .add("consumer-groups-describe", t::groupsDescribe)
                .add("consumer-groups-reset-offsets", t::groupsReset)
                .add("configs-alter-describe", t::configs)
                .add("configs-describe-all", t::configsDefaults)
                .runAndExit();
    }

    /** What `kafka-topics --version` says, e.g. "4.4.0" of "4.4.0 (Commit:...)". */
    private String version() {
        try {
            Result r = tool.run("kafka-topics", List.of("--version"), null, TOOL_LIMIT);
            String first = r.stdout().strip().split("\\s+")[0];
            return r.exit() == 0 && !first.isEmpty() ? first : "unknown";
        } catch (Exception e) {
            Harness.log("kafka-topics --version: %s", e);
            return "unknown";
        }
    }

    /** Runs a tool against the broker; it must exit 0. */
    private Result ok(Deadline d, String name, String stdin, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--bootstrap-server", bootstrap));
        all.addAll(List.of(args));
        Duration limit = d.left().compareTo(TOOL_LIMIT) < 0 ? d.left() : TOOL_LIMIT;
        Result r = tool.run(name, all, stdin, limit);
        Harness.check(r.exit() == 0, "%s", r.why());
        return r;
    }

    // ------------------------------------------------------------ the seed 002 walk-through

    void createTopic(Deadline d) throws Exception {
        Result created = ok(d, "kafka-topics", null, "--create", "--topic", seedTopic, "--partitions", "3",
                "--replication-factor", "1");
        Harness.check(created.stdout().contains("Created topic " + seedTopic + "."), "kafka-topics --create said %s",
                Harness.oneLine(created.stdout()));
        Result listed = ok(d, "kafka-topics", null, "--list");
        Harness.check(listed.lines().contains(seedTopic), "kafka-topics --list does not list %s: %s", seedTopic,
                listed.lines());
        Result described = ok(d, "kafka-topics", null, "--describe", "--topic", seedTopic);
        String head = described.lines().isEmpty() ? "" : described.lines().get(0);
        Harness.check(head.contains("Topic: " + seedTopic) && head.contains("PartitionCount: 3")
                && head.contains("ReplicationFactor: 1"), "kafka-topics --describe heads with %s", head);
        Pattern row = Pattern.compile("\\tPartition: (\\d+)\\tLeader: (\\d+)\\tReplicas: (\\d+)\\tIsr: (\\d+)");
        List<String> parts = new ArrayList<>();
        for (String line : described.lines()) {
            Matcher m = row.matcher(line);
            if (m.find()) {
                Harness.check(m.group(2).equals(m.group(3)) && m.group(3).equals(m.group(4)),
                        "partition row %s: leader, replicas and isr differ", line.strip());
                parts.add(m.group(1));
            }
        }
        Harness.check(parts.equals(List.of("0", "1", "2")), "kafka-topics --describe shows partitions %s in %s",
                parts, described.lines());
    }

    void consoleProducer(Deadline d) throws Exception {
        Result r = ok(d, "kafka-console-producer", "Hello Kafka\n", "--topic", seedTopic);
        Harness.check(!r.stderr().contains("ERROR"), "kafka-console-producer logged an error: %s", r.why());
    }

    void consoleConsumer(Deadline d) throws Exception {
        Result r = ok(d, "kafka-console-consumer", null, "--topic", seedTopic, "--from-beginning",
                "--max-messages", "1", "--timeout-ms", "20000");
        Harness.check(r.lines().equals(List.of("Hello Kafka")), "kafka-console-consumer printed %s; %s", r.lines(),
                r.why());
        Harness.check(r.stderr().contains("Processed a total of 1 messages"), "%s", r.why());
    }

    // ------------------------------------------------------------ kafka-consumer-groups

    /** Produces "k<i>:v<i>" for i in [from, to) as keyed records with the console producer. */
    private void produceKeyed(Deadline d, int from, int to) throws Exception {
        StringBuilder in = new StringBuilder();
        for (int i = from; i < to; i++) {
            in.append("k").append(i).append(":v").append(i).append('\n');
        }
        ok(d, "kafka-console-producer", in.toString(), "--topic", lagTopic, "--reader-property", "parse.key=true",
                "--reader-property", "key.separator=:");
    }

    /** One row of `kafka-consumer-groups --describe`, by column name. */
    private List<Map<String, String>> describeGroup(Deadline d) throws Exception {
        Result r = ok(d, "kafka-consumer-groups", null, "--describe", "--group", group);
        List<Map<String, String>> rows = new ArrayList<>();
        String[] header = null;
        for (String line : r.lines()) {
            String[] cells = line.trim().split("\\s+");
            if (cells.length > 0 && cells[0].equals("GROUP")) {
                header = cells;
            } else if (header != null && cells.length == header.length && cells[0].equals(group)) {
                Map<String, String> row = new HashMap<>();
                for (int i = 0; i < cells.length; i++) {
                    row.put(header[i], cells[i]);
                }
                rows.add(row);
            }
        }
        Harness.check(header != null, "kafka-consumer-groups --describe printed no table: %s; %s", r.lines(), r.why());
        List<String> want = List.of("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                "CONSUMER-ID", "HOST", "CLIENT-ID");
        Harness.check(List.of(header).equals(want), "columns %s, expected %s", List.of(header), want);
        return rows;
    }

    /** Checks the lag table of the group on the lag topic: per-row arithmetic and the totals. */
    private void checkLag(List<Map<String, String>> rows, long current, long end) throws Exception {
        Harness.check(rows.size() == 2, "%d rows for the group, expected one per partition of %s: %s", rows.size(),
                lagTopic, rows);
        long sumCurrent = 0;
        long sumEnd = 0;
        long sumLag = 0;
        for (Map<String, String> row : rows) {
            Harness.check(row.get("TOPIC").equals(lagTopic), "row for topic %s", row.get("TOPIC"));
            Harness.check(row.get("CONSUMER-ID").equals("-"), "no member expected, row says %s", row);
            long c = Long.parseLong(row.get("CURRENT-OFFSET"));
            long e = Long.parseLong(row.get("LOG-END-OFFSET"));
            long l = Long.parseLong(row.get("LAG"));
            Harness.check(l == e - c, "partition %s: LAG %d, but LOG-END-OFFSET %d - CURRENT-OFFSET %d = %d",
                    row.get("PARTITION"), l, e, c, e - c);
            sumCurrent += c;
            sumEnd += e;
            sumLag += l;
        }
        Harness.check(sumCurrent == current && sumEnd == end && sumLag == end - current,
                "totals: CURRENT-OFFSET %d, LOG-END-OFFSET %d, LAG %d; expected %d, %d, %d: %s", sumCurrent, sumEnd,
                sumLag, current, end, end - current, rows);
    }

    void groupsDescribe(Deadline d) throws Exception {
        ok(d, "kafka-topics", null, "--create", "--topic", lagTopic, "--partitions", "2", "--replication-factor", "1");
        produceKeyed(d, 0, 10);
        // A group member reads all ten and commits them as it closes (auto-commit).
        Result read = ok(d, "kafka-console-consumer", null, "--topic", lagTopic, "--group", group,
                "--from-beginning", "--max-messages", "10", "--timeout-ms", "20000",
                "--formatter-property", "print.key=true", "--formatter-property", "key.separator=:");
        Harness.check(read.lines().size() == 10, "the group's consumer printed %d records: %s", read.lines().size(),
                read.lines());
        produceKeyed(d, 10, 15);
        Result listed = ok(d, "kafka-consumer-groups", null, "--list");
        Harness.check(listed.lines().contains(group), "kafka-consumer-groups --list does not list %s: %s", group,
                listed.lines());
        checkLag(describeGroup(d), 10, 15);
        lagReady = true;
    }

    void groupsReset(Deadline d) throws Exception {
        Harness.check(lagReady, "not run: needs the group of consumer-groups-describe, which failed");
        Result r = ok(d, "kafka-consumer-groups", null, "--reset-offsets", "--group", group, "--topic", lagTopic,
                "--to-earliest", "--execute");
        long newOffsets = r.lines().stream().filter(l -> l.trim().startsWith(group + " ")).count();
        Harness.check(newOffsets == 2, "--reset-offsets printed %d partition rows: %s", newOffsets, r.lines());
        checkLag(describeGroup(d), 0, 15);
        Result shifted = ok(d, "kafka-consumer-groups", null, "--reset-offsets", "--group", group, "--topic",
                lagTopic + ":0", "--shift-by", "2", "--execute");
        Harness.check(shifted.exit() == 0, "%s", shifted.why());
        checkLag(describeGroup(d), 2, 15);
    }

    // ------------------------------------------------------------ kafka-configs

    void configs(Deadline d) throws Exception {
        String[] entity = {"--entity-type", "topics", "--entity-name", seedTopic};
        Result altered = ok(d, "kafka-configs", null, cat(entity, "--alter", "--add-config",
                "retention.ms=3600000,max.message.bytes=2000000"));
        Harness.check(altered.stdout().contains("Completed updating config for topic " + seedTopic + "."),
                "kafka-configs --alter said %s", Harness.oneLine(altered.stdout()));
        Result described = ok(d, "kafka-configs", null, cat(entity, "--describe"));
        Harness.check(described.lines().size() == 3
                && described.lines().get(0).equals("Dynamic configs for topic " + seedTopic + " are:"),
                "kafka-configs --describe printed %s", described.lines());
        expectConfig(described, "retention.ms", "3600000", "DYNAMIC_TOPIC_CONFIG");
        expectConfig(described, "max.message.bytes", "2000000", "DYNAMIC_TOPIC_CONFIG");

        ok(d, "kafka-configs", null, cat(entity, "--alter", "--delete-config", "retention.ms"));
        Result after = ok(d, "kafka-configs", null, cat(entity, "--describe"));
        Harness.check(after.lines().size() == 2, "after --delete-config retention.ms: %s", after.lines());
        expectConfig(after, "max.message.bytes", "2000000", "DYNAMIC_TOPIC_CONFIG");
        // Back to the default; the synonyms a default shows vary with the broker's own settings.
        Map<String, String> all = describeAll(d, seedTopic);
        Harness.check("604800000".equals(all.get("retention.ms")), "after --delete-config, retention.ms=%s",
                all.get("retention.ms"));

        Result typo = tool.run("kafka-configs", List.of(cat(new String[] {"--bootstrap-server", bootstrap},
                cat(entity, "--alter", "--add-config", "retention.msec=1"))), null, TOOL_LIMIT);
        Harness.check(typo.exit() != 0 && typo.stderr().contains("InvalidConfigurationException"),
                "an unknown config name: expected InvalidConfigurationException, got %s", typo.why());
    }

    /** Kafka 4.4.0's topic configs and their defaults, as `kafka-configs --describe --all` lists them. */
    private static final String KAFKA_44_TOPIC_DEFAULTS = "cleanup.policy=delete compression.gzip.level=-1"
            + " compression.lz4.level=9 compression.type=producer compression.zstd.level=3"
            + " delete.retention.ms=86400000 errors.deadletterqueue.group.enable=false file.delete.delay.ms=60000"
            + " flush.messages=9223372036854775807 flush.ms=9223372036854775807"
            + " follower.replication.throttled.replicas= index.interval.bytes=4096"
            + " leader.replication.throttled.replicas= local.retention.bytes=-2 local.retention.ms=-2"
            + " max.compaction.lag.ms=9223372036854775807 max.decompressed.message.bytes=2147483639"
            + " max.message.bytes=1048588 message.timestamp.after.max.ms=3600000"
            + " message.timestamp.before.max.ms=9223372036854775807 message.timestamp.type=CreateTime"
            + " min.cleanable.dirty.ratio=0.5 min.compaction.lag.ms=0 min.insync.replicas=1 preallocate=false"
            + " remote.copy.lag.bytes=-1 remote.copy.lag.ms=0 remote.log.copy.disable=false"
            + " remote.log.delete.on.disable=false remote.storage.enable=false retention.bytes=-1"
            + " retention.ms=604800000 segment.bytes=1073741824 segment.index.bytes=10485760 segment.jitter.ms=0"
            + " segment.ms=604800000 unclean.leader.election.enable=false";

    /** `kafka-configs --describe --all` of a topic: name -> value. */
    private Map<String, String> describeAll(Deadline d, String topic) throws Exception {
        Result r = ok(d, "kafka-configs", null, "--entity-type", "topics", "--entity-name", topic, "--describe",
                "--all");
        Harness.check(!r.lines().isEmpty() && r.lines().get(0).equals("All configs for topic " + topic + " are:"),
                "kafka-configs --describe --all printed %s", r.lines());
        Map<String, String> out = new TreeMap<>();
        Pattern line = Pattern.compile("^\\s*([a-z0-9.]+)=(.*?) sensitive=(true|false) synonyms=\\{.*\\}$");
        for (String l : r.lines().subList(1, r.lines().size())) {
            Matcher m = line.matcher(l);
            Harness.check(m.matches(), "unexpected line in --describe --all: %s", l);
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    void configsDefaults(Deadline d) throws Exception {
        String topic = seedTopic.replace("-my-first-topic", "-defaults");
        ok(d, "kafka-topics", null, "--create", "--topic", topic, "--partitions", "1", "--replication-factor", "1");
        Map<String, String> have = describeAll(d, topic);
        Map<String, String> want = new TreeMap<>();
        for (String kv : KAFKA_44_TOPIC_DEFAULTS.split(" ")) {
            want.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        List<String> missing = new ArrayList<>();
        List<String> extra = new ArrayList<>();
        List<String> differ = new ArrayList<>();
        for (Map.Entry<String, String> e : want.entrySet()) {
            String v = have.get(e.getKey());
            if (v == null) {
                missing.add(e.getKey());
            } else if (!v.equals(e.getValue())) {
                differ.add(e.getKey() + "=" + v + " (Kafka " + e.getValue() + ")");
            }
        }
        have.keySet().stream().filter(k -> !want.containsKey(k)).forEach(extra::add);
        Harness.check(missing.isEmpty() && extra.isEmpty() && differ.isEmpty(),
                "differ from Kafka 4.4: %s; not in Kafka 4.4: %s; missing %d: %s", String.join(", ", differ),
                String.join(", ", extra), missing.size(), String.join(", ", missing));
    }

    /** `name=value sensitive=false synonyms={SOURCE:...` on a line of kafka-configs --describe. */
    private static void expectConfig(Result r, String name, String value, String source) throws Exception {
        String want = name + "=" + value + " sensitive=false synonyms={" + source + ":";
        boolean found = r.lines().stream().anyMatch(l -> l.strip().startsWith(want));
        String have = r.lines().stream().filter(l -> l.strip().startsWith(name + "=")).findFirst().orElse("none");
        Harness.check(found, "%s: %s, expected %s...", name, have.strip(), want);
    }

    private static String[] cat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
