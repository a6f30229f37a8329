//! The store behind the functions: the in-memory repository shared by in-process functions,
//! or a DynamoDB endpoint whose tables the stage creates when missing.

use items_apigateway::{AdapterConfig, FunctionConfig};
use items_dynamodb::table_design::{self, Resource};
use items_dynamodb::TableNames;

/// The SDK configuration the stage's own clients use (its tables, its stream mapping, its event
/// publisher): the functions' settings (TLS stack, timeouts, retries) and the stage's region;
/// with a local `endpoint`, that endpoint and placeholder credentials when none are configured.
pub(crate) async fn sdk_config(endpoint: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = items_sdk_config::sdk_config_loader(items_sdk_config::Timeouts::default())
        .region(aws_config::Region::new(lambda_emulator::region()));
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
        if std::env::var("AWS_ACCESS_KEY_ID").is_err() {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "local",
                "local",
                None,
                None,
                "local-stage",
            ));
        }
    }
    loader.load().await
}

/// Which store the functions use.
#[derive(Debug, Clone, Default)]
pub enum StoreConfig {
    /// One in-memory repository shared by every in-process function (the default).
    #[default]
    Memory,
    /// DynamoDB (or a DynamoDB-compatible server) with the project's table design.
    DynamoDb(DynamoDbStore),
}

/// A DynamoDB endpoint and the table names the functions use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamoDbStore {
    /// e.g. `http://127.0.0.1:8000`; `None` means AWS itself.
    pub endpoint: Option<String>,
    /// The items table.
    pub items_table: String,
    /// The idempotency table.
    pub idempotency_table: String,
}

impl DynamoDbStore {
    /// The table names as the DynamoDB adapter takes them.
    pub fn table_names(&self) -> TableNames {
        TableNames {
            items: self.items_table.clone(),
            idempotency: self.idempotency_table.clone(),
        }
    }

    /// The SDK configuration for this endpoint with the functions' own settings (TLS stack,
    /// timeouts, retries), and placeholder credentials for a local endpoint when none are
    /// configured. A local endpoint serves DynamoDB Streams too.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        sdk_config(self.endpoint.as_deref()).await
    }

    /// A DynamoDB client for this endpoint (see [`DynamoDbStore::sdk_config`]).
    pub async fn client(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_config().await)
    }

    /// The name this stage gives a table of the table design; `None` for the index, no table.
    pub fn table_of(&self, resource: Resource) -> Option<&str> {
        match resource {
            Resource::ItemsTable => Some(&self.items_table),
            Resource::IdempotencyTable => Some(&self.idempotency_table),
            Resource::CategoryIndex => None,
        }
    }

    /// The environment a function process needs to serve over this store: its configuration
    /// (`adapter`'s settings and these tables), the endpoint, and the stage's AWS settings
    /// (placeholder credentials for a local endpoint when none are set, so the SDK never probes
    /// for instance credentials).
    pub fn process_environment(&self, adapter: &AdapterConfig) -> Vec<(String, String)> {
        let function = FunctionConfig {
            adapter: adapter.clone(),
            tables: self.table_names(),
        };
        let mut environment: Vec<(String, String)> = function
            .to_env()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        if let Some(endpoint) = &self.endpoint {
            environment.push((items_dynamodb::ENDPOINT_ENV.to_owned(), endpoint.clone()));
        }
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_EC2_METADATA_DISABLED",
            "RUST_LOG",
            "RUST_BACKTRACE",
        ] {
            if let Ok(value) = std::env::var(name) {
                environment.push((name.to_owned(), value));
            }
        }
        if self.endpoint.is_some() && std::env::var("AWS_ACCESS_KEY_ID").is_err() {
            environment.push(("AWS_ACCESS_KEY_ID".to_owned(), "local".to_owned()));
            environment.push(("AWS_SECRET_ACCESS_KEY".to_owned(), "local".to_owned()));
            environment.push(("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()));
        }
        environment
    }
}

/// Why the store could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The tables could not be created or reached.
    #[error("DynamoDB at {endpoint}: {reason}")]
    DynamoDb {
        /// The endpoint.
        endpoint: String,
        /// What went wrong.
        reason: String,
    },
    /// The functions' configuration (e.g. the admin group) is invalid.
    #[error("configuration: {0}")]
    Config(#[from] items_apigateway::config::ConfigError),
}

/// Creates the tables if they are missing (process mode: before any process starts).
pub(crate) async fn prepare_tables(store: &DynamoDbStore) -> Result<(), StoreError> {
    create_tables(&store.client().await, store).await
}

pub(crate) async fn create_tables(
    client: &aws_sdk_dynamodb::Client,
    store: &DynamoDbStore,
) -> Result<(), StoreError> {
    table_design::create_tables(client, &store.table_names())
        .await
        .map_err(|error| StoreError::DynamoDb {
            endpoint: store.endpoint.clone().unwrap_or_else(|| "AWS".to_owned()),
            reason: error.to_string(),
        })
}
