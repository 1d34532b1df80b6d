/*
 * The interop matrix's scenarios driven by Apache Kafka's own Java client,
 * kafka-clients 4.4.0: the reference implementation every other client is
 * measured against, so what it does is what a broker must get right.
 *
 * Usage: java -cp klamm-interop.jar klamm.interop.JavaClients <bootstrap> <prefix>
 *
 * Producers are idempotent with acks=all (InitProducerId, sequence-numbered
 * batches); consumers use the classic group protocol (JoinGroup/SyncGroup;
 * KIP-848's ConsumerGroupHeartbeat comes with a later issue) and commit by
 * hand. Topics and groups are named <prefix>-..., as in the other programs,
 * and the scenarios run in the same order under the same names.
 */
package klamm.interop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import klamm.interop.Harness.Deadline;
import klamm.interop.Harness.Fail;

public final class JavaClients {
    private static final Duration SETTLE = Duration.ofMillis(1500);
    private static final String[] CODECS = {"gzip", "snappy", "lz4", "zstd"};

    private final String bootstrap;
    private final String prefix;
    /** key -> partition of <prefix>-three, from produce-keyed. */
    private final Map<String, Integer> partOf = new HashMap<>();
    /** The consumer of group-consume, which commit-resume commits and closes. */
    private KafkaConsumer<String, String> groupConsumer;

    private JavaClients(String bootstrap, String prefix) {
        this.bootstrap = bootstrap;
        this.prefix = prefix;
    }

    public static void main(String[] argv) {
        String[] args = Harness.start("java-clients", argv);
        Harness.version("kafka-clients", Harness.jarVersion(KafkaProducer.class, "kafka/kafka-version.properties"));
        JavaClients c = new JavaClients(args[0], args[1]);
        Harness h = new Harness(Duration.ofSeconds(30), Duration.ofSeconds(150));
        h.add("produce-auto-topic", c::produceAutoTopic)
                .add("create-topic", c::createTopic)
                .add("produce-keyed", c::produceKeyed)
                .add("group-consume", c::groupConsume)
                .add("commit-resume", c::commitResume)
                .add("headers", c::headers);
        for (String codec : CODECS) {
            h.add("compression-" + codec, d -> c.compression(codec, d));
        }
        h.add("group-takeover", c::groupTakeover);
        h.add("timestamp-bounds", c::timestampBounds);
        h.runAndExit();
    }

    // ------------------------------------------------------------ clients

    private KafkaProducer<String, String> producer(String compression) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, prefix + "-producer");
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private KafkaConsumer<String, String> consumer(String group) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        if (group != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
            p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
            p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
        }
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, prefix + "-consumer");
        return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
    }

    private Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, prefix + "-admin");
        return Admin.create(p);
    }

    // ------------------------------------------------------------ records

    /** Records (k<i>, v<i><pad>) for i in [from, to): a value is known from its key. */
    static List<String[]> keyed(int from, int to, String pad) {
        List<String[]> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(new String[] {"k" + i, "v" + i + pad});
        }
        return out;
    }

    /** Produces the records, waits for every ack and returns them in the order sent. */
    private static List<RecordMetadata> produce(KafkaProducer<String, String> producer, String topic,
            List<String[]> records, List<Header> headers, Deadline deadline) throws Exception {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (String[] r : records) {
            acks.add(producer.send(new ProducerRecord<>(topic, null, r[0], r[1], headers)));
        }
        producer.flush();
        List<RecordMetadata> out = new ArrayList<>();
        for (Future<RecordMetadata> ack : acks) {
            out.add(ack.get(deadline.leftMs(), TimeUnit.MILLISECONDS));
        }
        return out;
    }

    private static List<RecordMetadata> produceAndClose(KafkaProducer<String, String> producer, String topic,
            List<String[]> records, Deadline deadline) throws Exception {
        try {
            return produce(producer, topic, records, null, deadline);
        } finally {
            producer.close(Duration.ofSeconds(5));
        }
    }

    /** Polls until `expected` records arrived, then SETTLE longer to catch duplicates. */
    private static List<ConsumerRecord<String, String>> pollUntil(KafkaConsumer<String, String> c, int expected,
            Deadline deadline) {
        List<ConsumerRecord<String, String>> got = new ArrayList<>();
        Deadline settle = null;
        while (!deadline.passed() && (settle == null || !settle.passed())) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(Math.min(200, deadline.leftMs())))) {
                got.add(r);
            }
            if (settle == null && got.size() >= expected) {
                settle = deadline.within(SETTLE);
            }
        }
        return got;
    }

    /** Reads a topic from the beginning by assignment, without a group. */
    private List<ConsumerRecord<String, String>> readTopic(String topic, int expected, Deadline deadline)
            throws Fail {
        try (KafkaConsumer<String, String> c = consumer(null)) {
            List<PartitionInfo> parts = c.partitionsFor(topic, deadline.left());
            Harness.check(parts != null && !parts.isEmpty(), "no partitions in metadata for %s", topic);
            List<TopicPartition> tps = parts.stream().map(p -> new TopicPartition(topic, p.partition()))
                    .collect(Collectors.toList());
            c.assign(tps);
            c.seekToBeginning(tps);
            return pollUntil(c, expected, deadline);
        }
    }

    private static String keyOf(ConsumerRecord<String, String> r) {
        return r.key();
    }

    /** Each wanted record exactly once, with the value that goes with its key. */
    static void checkExactly(List<ConsumerRecord<String, String>> got, List<String[]> want, String what)
            throws Fail {
        Map<String, String> wantValue = new HashMap<>();
        for (String[] r : want) {
            wantValue.put(r[0], r[1]);
        }
        Set<String> seen = new HashSet<>();
        for (ConsumerRecord<String, String> r : got) {
            String k = keyOf(r);
            Harness.check(wantValue.containsKey(k), "%s: unexpected record %s at %s-%d@%d", what, k, r.topic(),
                    r.partition(), r.offset());
            Harness.check(seen.add(k), "%s: record %s received twice (again at %s-%d@%d; %d records)", what, k,
                    r.topic(), r.partition(), r.offset(), got.size());
            Harness.check(wantValue.get(k).equals(r.value()), "%s: record %s has value %s", what, k, r.value());
        }
        Harness.check(seen.size() == want.size(), "%s: received %d distinct records of %d", what, seen.size(),
                want.size());
    }

    private static Set<Integer> partitions(KafkaConsumer<String, String> c) {
        return c.assignment().stream().map(TopicPartition::partition).collect(Collectors.toCollection(TreeSet::new));
    }

    // ------------------------------------------------------------ scenarios

    void produceAutoTopic(Deadline d) throws Exception {
        List<RecordMetadata> acks = produceAndClose(producer("none"), prefix + "-auto", keyed(0, 100, ""), d);
        long bad = acks.stream().filter(m -> !m.hasOffset() || m.offset() < 0).count();
        Harness.check(bad == 0, "%d acks without an offset", bad);
    }

    void createTopic(Deadline d) throws Exception {
        String topic = prefix + "-three";
        try (Admin a = admin()) {
            a.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(d.leftMs(), TimeUnit.MILLISECONDS);
            TopicDescription t = a.describeTopics(List.of(topic)).allTopicNames()
                    .get(d.leftMs(), TimeUnit.MILLISECONDS).get(topic);
            Harness.check(t.partitions().size() == 3, "described %d partitions, expected 3", t.partitions().size());
            for (var p : t.partitions()) {
                Harness.check(p.leader() != null && p.replicas().size() == 1 && p.isr().size() == 1,
                        "partition %d: leader %s, replicas %s, isr %s", p.partition(), p.leader(), p.replicas(),
                        p.isr());
            }
            Harness.check(t.topicId() != null && !t.topicId().toString().isEmpty(), "no topic id");
            var cluster = a.describeCluster();
            Collection<org.apache.kafka.common.Node> nodes = cluster.nodes().get(d.leftMs(), TimeUnit.MILLISECONDS);
            String clusterId = cluster.clusterId().get(d.leftMs(), TimeUnit.MILLISECONDS);
            Harness.check(!nodes.isEmpty() && clusterId != null && !clusterId.isEmpty(),
                    "describeCluster: nodes %s, cluster id %s", nodes, clusterId);
            Set<String> names = a.listTopics().names().get(d.leftMs(), TimeUnit.MILLISECONDS);
            Harness.check(names.contains(topic), "listTopics does not list %s: %s", topic, names);
        }
    }

    void produceKeyed(Deadline d) throws Exception {
        List<String[]> recs = keyed(0, 300, "");
        List<RecordMetadata> acks = produceAndClose(producer("none"), prefix + "-three", recs, d);
        for (int i = 0; i < recs.size(); i++) {
            Integer was = partOf.putIfAbsent(recs.get(i)[0], acks.get(i).partition());
            Harness.check(was == null || was == acks.get(i).partition(), "key %s went to partitions %d and %d",
                    recs.get(i)[0], was, acks.get(i).partition());
        }
        Set<Integer> used = new TreeSet<>(partOf.values());
        Harness.check(used.equals(Set.of(0, 1, 2)), "records landed only in partitions %s", used);
    }

    void groupConsume(Deadline d) throws Exception {
        KafkaConsumer<String, String> c = consumer(prefix + "-group");
        groupConsumer = c;
        c.subscribe(List.of(prefix + "-three"));
        List<ConsumerRecord<String, String>> got = pollUntil(c, 300, d);
        checkExactly(got, keyed(0, 300, ""), "group consumer");
        for (ConsumerRecord<String, String> r : got) {
            Integer want = partOf.get(r.key());
            Harness.check(want == null || want == r.partition(),
                    "key %s produced to partition %d but fetched from %d", r.key(), want, r.partition());
        }
    }

    void commitResume(Deadline d) throws Exception {
        KafkaConsumer<String, String> c = groupConsumer;
        groupConsumer = null;
        Harness.check(c != null, "no consumer from group-consume");
        String group = prefix + "-group";
        String topic = prefix + "-three";
        try {
            c.commitSync(d.left());
            Map<TopicPartition, OffsetAndMetadata> committed = c.committed(c.assignment(), d.left());
            long sum = committed.values().stream().mapToLong(o -> o == null ? 0 : o.offset()).sum();
            Harness.check(sum == 300, "committed offsets sum to %d, expected 300: %s", sum, committed);
        } finally {
            c.close(Duration.ofSeconds(5));
        }
        try (Admin a = admin()) {
            Map<TopicPartition, OffsetAndMetadata> listed = a.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(d.leftMs(), TimeUnit.MILLISECONDS);
            long sum = listed.values().stream().mapToLong(OffsetAndMetadata::offset).sum();
            Harness.check(listed.size() == 3 && sum == 300, "admin lists offsets %s, expected 3 summing to 300",
                    listed);
            ConsumerGroupDescription g = a.describeConsumerGroups(List.of(group)).all()
                    .get(d.leftMs(), TimeUnit.MILLISECONDS).get(group);
            // The consumer left the group on close.
            Harness.check(g.groupState() == GroupState.EMPTY && g.members().isEmpty(),
                    "after close the group is %s with %d members, expected Empty", g.groupState(),
                    g.members().size());
        }
        List<String[]> recs = keyed(300, 350, "");
        produceAndClose(producer("none"), topic, recs, d);
        try (KafkaConsumer<String, String> c2 = consumer(group)) {
            c2.subscribe(List.of(topic));
            checkExactly(pollUntil(c2, 50, d), recs, "resumed consumer");
        }
    }

    void headers(Deadline d) throws Exception {
        String topic = prefix + "-headers";
        List<Header> want = List.of(new RecordHeader("h1", "v1".getBytes(StandardCharsets.UTF_8)),
                new RecordHeader("h2", new byte[] {0, 1}));
        try (KafkaProducer<String, String> p = producer("none")) {
            produce(p, topic, List.<String[]>of(new String[] {"hk", "hv"}), want, d);
        }
        List<ConsumerRecord<String, String>> got = readTopic(topic, 1, d);
        Harness.check(got.size() == 1, "consumed %d records, expected 1", got.size());
        Header[] have = got.get(0).headers().toArray();
        Harness.check(have.length == 2, "%d headers, expected 2", have.length);
        for (int i = 0; i < 2; i++) {
            Harness.check(have[i].key().equals(want.get(i).key()) && Arrays.equals(have[i].value(), want.get(i).value()),
                    "header %d is %s=%s, expected %s=%s", i, have[i].key(), Arrays.toString(have[i].value()),
                    want.get(i).key(), Arrays.toString(want.get(i).value()));
        }
    }

    void compression(String codec, Deadline d) throws Exception {
        String topic = prefix + "-" + codec;
        List<String[]> recs = keyed(0, 50, "-" + codec.repeat(40));
        produceAndClose(producer(codec), topic, recs, d);
        List<ConsumerRecord<String, String>> got = readTopic(topic, 50, d);
        Harness.check(got.size() == 50, "read back %d records, expected 50", got.size());
        for (int i = 0; i < 50; i++) {
            ConsumerRecord<String, String> r = got.get(i);
            Harness.check(r.key().equals(recs.get(i)[0]) && r.value().equals(recs.get(i)[1]),
                    "record #%d is %s=%s, expected %s", i, r.key(), r.value(), recs.get(i)[0]);
        }
    }

    void groupTakeover(Deadline d) throws Exception {
        String topic = prefix + "-four";
        String group = prefix + "-takeover";
        try (Admin a = admin()) {
            a.createTopics(List.of(new NewTopic(topic, 4, (short) 1))).all().get(d.leftMs(), TimeUnit.MILLISECONDS);
        }
        KafkaConsumer<String, String> ca = consumer(group);
        KafkaConsumer<String, String> cb = null;
        try {
            ca.subscribe(List.of(topic));
            while (ca.assignment().size() != 4) {
                Harness.check(!d.passed(), "consumer A alone got %s, expected 4 partitions", partitions(ca));
                ca.poll(Duration.ofMillis(200));
            }
            cb = consumer(group);
            cb.subscribe(List.of(topic));
            // Both must poll for the rebalance to complete: A rejoins from its poll.
            Set<Integer> pa;
            Set<Integer> pb;
            while (true) {
                pa = partitions(ca);
                pb = partitions(cb);
                Set<Integer> both = new HashSet<>(pa);
                both.retainAll(pb);
                if (pa.size() == 2 && pb.size() == 2 && both.isEmpty()) {
                    break;
                }
                Harness.check(!d.passed(), "after B joined: A holds %s, B holds %s", pa, pb);
                ca.poll(Duration.ofMillis(100));
                cb.poll(Duration.ofMillis(100));
            }
            Harness.log("takeover: A=%s B=%s", pa, pb);
            List<String[]> recs = keyed(0, 40, "");
            produceAndClose(producer("none"), topic, recs, d);
            List<ConsumerRecord<String, String>> gotA = new ArrayList<>();
            List<ConsumerRecord<String, String>> gotB = new ArrayList<>();
            Deadline settle = null;
            while (!d.passed() && (settle == null || !settle.passed())) {
                ca.poll(Duration.ofMillis(100)).forEach(gotA::add);
                cb.poll(Duration.ofMillis(100)).forEach(gotB::add);
                if (settle == null && gotA.size() + gotB.size() >= 40) {
                    settle = d.within(SETTLE);
                }
            }
            checkOwned("A", gotA, pa);
            checkOwned("B", gotB, pb);
            Harness.check(partitions(ca).equals(pa) && partitions(cb).equals(pb),
                    "assignment changed while consuming: A %s, B %s", partitions(ca), partitions(cb));
            List<ConsumerRecord<String, String>> all = new ArrayList<>(gotA);
            all.addAll(gotB);
            checkExactly(all, recs, "A (" + gotA.size() + ") + B (" + gotB.size() + ")");
        } finally {
            ca.close(Duration.ofSeconds(5));
            if (cb != null) {
                cb.close(Duration.ofSeconds(5));
            }
        }
    }

    /**
     * Kafka 4 rejects a CreateTime timestamp more than message.timestamp.after.max.ms
     * (one hour by default) ahead of the broker's clock, and accepts any in the past.
     */
    void timestampBounds(Deadline d) throws Exception {
        String topic = prefix + "-timestamps";
        try (Admin a = admin()) {
            a.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(d.leftMs(), TimeUnit.MILLISECONDS);
        }
        long now = System.currentTimeMillis();
        long past = now - TimeUnit.DAYS.toMillis(30);
        try (KafkaProducer<String, String> p = producer("none")) {
            RecordMetadata old = p.send(new ProducerRecord<>(topic, 0, past, "old", "v")).get(d.leftMs(),
                    TimeUnit.MILLISECONDS);
            Harness.check(old.timestamp() == past, "a record from 30 days ago got timestamp %d, sent %d",
                    old.timestamp(), past);
            try {
                RecordMetadata ahead = p.send(new ProducerRecord<>(topic, 0, now + TimeUnit.HOURS.toMillis(2),
                        "ahead", "v")).get(d.leftMs(), TimeUnit.MILLISECONDS);
                throw new Fail("a record two hours ahead was accepted at offset " + ahead.offset()
                        + "; Kafka 4 rejects it (message.timestamp.after.max.ms defaults to 3600000)");
            } catch (java.util.concurrent.ExecutionException e) {
                Harness.check(e.getCause() instanceof org.apache.kafka.common.errors.InvalidTimestampException,
                        "a record two hours ahead failed with %s, expected InvalidTimestampException", e.getCause());
            }
        }
    }

    private static void checkOwned(String label, Collection<ConsumerRecord<String, String>> got, Set<Integer> own)
            throws Fail {
        Set<Integer> stray = got.stream().map(ConsumerRecord::partition).filter(p -> !own.contains(p))
                .collect(Collectors.toCollection(TreeSet::new));
        Harness.check(stray.isEmpty(), "consumer %s got records from partitions %s it does not own", label, stray);
    }
}
