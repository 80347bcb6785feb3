//! Reusable view pieces.

pub mod bulk;
pub mod change_prefix;
pub mod column_chooser;
pub mod confirm_delete;
pub mod conflict;
pub mod connection_row;
pub mod connections_view;
pub mod delete_connection;
pub mod export;
pub mod facet;
pub mod feedback;
pub mod field;
pub mod freshness;
pub mod list_query;
pub mod load_error;
pub mod monitor_tests;
pub mod outbox_panel;
pub mod overview;
pub mod prefix_import;
pub mod prefix_table;
pub mod state_pill;
pub mod tags_editor;
pub mod virtual_rows;
pub use field::Field;
