//! Consumer groups, classic protocol: membership (JoinGroup, SyncGroup,
//! Heartbeat, LeaveGroup), committed offsets (OffsetCommit, OffsetFetch,
//! OffsetDelete) and administration (ListGroups, DescribeGroups,
//! DeleteGroups). Each handler translates to calls on the group coordinator
//! (`crate::group`), which knows nothing of sockets.

pub(crate) mod delete_groups;
pub(crate) mod describe_groups;
pub(crate) mod heartbeat;
pub(crate) mod join_group;
pub(crate) mod leave_group;
pub(crate) mod list_groups;
pub(crate) mod offset_commit;
pub(crate) mod offset_delete;
pub(crate) mod offset_fetch;
pub(crate) mod sync_group;
