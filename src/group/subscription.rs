//! The topics in a consumer's subscription (the "consumer" protocol's member
//! metadata), which OffsetDelete needs: offsets of a topic the group still
//! consumes must not be deleted. Everything else in the metadata belongs to
//! the clients and is relayed untouched.

/// The subscribed topics, or `None` if the metadata cannot be read.
pub fn topics(metadata: &[u8]) -> Option<Vec<String>> {
    let mut pos = 2; // version (i16); the topic list starts every version
    let count = i32::from_be_bytes(metadata.get(pos..pos + 4)?.try_into().ok()?);
    pos += 4;
    let count = usize::try_from(count).ok()?;
    // Each topic takes at least its 2-byte length.
    if count > metadata.len() / 2 {
        return None;
    }
    let mut topics = Vec::with_capacity(count);
    for _ in 0..count {
        let len = i16::from_be_bytes(metadata.get(pos..pos + 2)?.try_into().ok()?);
        pos += 2;
        let len = usize::try_from(len).ok()?;
        let name = metadata.get(pos..pos + len)?;
        pos += len;
        topics.push(String::from_utf8(name.to_vec()).ok()?);
    }
    Some(topics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_topic_list_and_refuses_nonsense() {
        let mut metadata = vec![0, 1, 0, 0, 0, 2];
        for topic in ["orders", "audit"] {
            metadata.extend_from_slice(&(topic.len() as i16).to_be_bytes());
            metadata.extend_from_slice(topic.as_bytes());
        }
        metadata.extend_from_slice(&[0, 0, 0, 0]); // user data, owned partitions...
        assert_eq!(
            topics(&metadata),
            Some(vec!["orders".into(), "audit".into()])
        );
        assert_eq!(topics(&[0, 1, 0x7f, 0xff, 0xff, 0xff]), None);
        assert_eq!(topics(&[0]), None);
    }
}
