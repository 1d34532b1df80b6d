//! DescribeLogDirs v5 adds `IsCordoned` to each log directory (a directory
//! taking no new partitions). klamm's one directory is never cordoned. The
//! request is v4's.

use kafka_protocol::messages::{DescribeLogDirsRequest, DescribeLogDirsResponse};
use kafka_protocol::protocol::buf::ByteBuf;
use kafka_protocol::protocol::Decodable;

use super::wire::Writer;
use super::{delegate_response, encodable_by_hand, Newer};

/// The newest version kafka-protocol 0.18 reads and writes.
const CODEC_MAX: i16 = 4;

impl Decodable for Newer<DescribeLogDirsRequest> {
    fn decode<B: ByteBuf>(buf: &mut B, version: i16) -> anyhow::Result<Self> {
        DescribeLogDirsRequest::decode(buf, version.min(CODEC_MAX)).map(Newer)
    }
}

fn write(r: &DescribeLogDirsResponse, _version: i16, w: &mut Writer) -> anyhow::Result<()> {
    w.i32(r.throttle_time_ms);
    w.i16(r.error_code);
    w.array_len(r.results.len())?;
    for dir in &r.results {
        w.i16(dir.error_code);
        w.string(&dir.log_dir)?;
        w.array_len(dir.topics.len())?;
        for topic in &dir.topics {
            w.string(&topic.name)?;
            w.array_len(topic.partitions.len())?;
            for p in &topic.partitions {
                w.i32(p.partition_index);
                w.i64(p.partition_size);
                w.i64(p.offset_lag);
                w.bool(p.is_future_key);
                w.tags();
            }
            w.tags();
        }
        w.i64(dir.total_bytes);
        w.i64(dir.usable_bytes);
        w.bool(false); // is_cordoned
        w.tags();
    }
    w.tags();
    Ok(())
}

encodable_by_hand!(Newer<DescribeLogDirsResponse>, codec_max: CODEC_MAX, write);
delegate_response!(DescribeLogDirsResponse);

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::describe_log_dirs_response::{
        DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
    };
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::protocol::{Encodable, StrBytes};

    /// v5 is v4 with one byte more per directory, before its tag section.
    #[test]
    fn v5_adds_is_cordoned_to_each_directory() {
        let response =
            DescribeLogDirsResponse::default().with_results(vec![DescribeLogDirsResult::default()
                .with_log_dir(StrBytes::from_static_str("/data"))
                .with_total_bytes(100)
                .with_usable_bytes(40)
                .with_topics(vec![DescribeLogDirsTopic::default()
                    .with_name(TopicName(StrBytes::from_static_str("t")))
                    .with_partitions(vec![
                        DescribeLogDirsPartition::default().with_partition_size(12)
                    ])])]);
        let mut v4 = bytes::BytesMut::new();
        response.encode(&mut v4, 4).unwrap();
        let mut v5 = bytes::BytesMut::new();
        Newer(response.clone()).encode(&mut v5, 5).unwrap();
        assert_eq!(Newer(response).compute_size(5).unwrap(), v5.len());
        // throttle, error, count (7 bytes) + the directory up to usable_bytes,
        // then is_cordoned (false) and the directory's and body's tags.
        let directory_end = v4.len() - 2;
        assert_eq!(v5[..directory_end], v4[..directory_end]);
        assert_eq!(&v5[directory_end..], &[0, 0, 0]);
    }
}
