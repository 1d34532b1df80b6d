//! The data path: records in (Produce, and InitProducerId for idempotent
//! producers), records out (Fetch), and the offsets around them
//! (ListOffsets, OffsetForLeaderEpoch, DeleteRecords).

pub(crate) mod delete_records;
pub(crate) mod fetch;
pub(crate) mod init_producer_id;
mod leader_hints;
pub(crate) mod list_offsets;
pub(crate) mod offset_for_leader_epoch;
pub(crate) mod produce;
