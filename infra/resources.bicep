// Everything inside the resource group. README.md ("Deploy to Azure") gives the why of each choice.
param environmentName string
param location string
param tags object
param pgAdminLogin string

@secure()
param pgAdminPassword string

@secure()
param workerToken string

@secure()
param operatorToken string

@secure()
param adminToken string

param principalId string
param principalType string
param bootstrapClientIp string
param productionMinimumInstances int
param schedulerCron string

@description('PostgreSQL compute. Production default: General Purpose D2ds_v5.')
param pgSkuName string = 'Standard_D2ds_v5'

@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param pgSkuTier string = 'GeneralPurpose'

@allowed([
  'Disabled'
  'SameZone'
  'ZoneRedundant'
])
@description('ZoneRedundant needs a region with availability zones.')
param pgHighAvailability string = 'Disabled'

// Short names: host ids are pinned below, but keep "<app>-staging" well under 32 characters anyway.
var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var suffix = take(token, 8)
var appName = 'func-wf-${suffix}'
var storageName = 'stwf${take(token, 18)}'
var kvName = 'kv-wf-${take(token, 12)}'
var pgName = 'psql-wf-${suffix}'
var redisName = 'amr-wf-${suffix}'
var pgDatabase = 'workflow'
var redisPort = 10000

resource uami 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-wf-${suffix}'
  location: location
  tags: tags
}

resource logs 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: 'log-wf-${suffix}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appi 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-wf-${suffix}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true // ingestion needs Entra auth: the identity gets Monitoring Metrics Publisher below
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: storageName
  location: location
  tags: tags
  sku: {
    name: 'Standard_LRS'
  }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: true // only the EP content share (Azure Files) still needs a key; AzureWebJobsStorage uses the identity
    supportsHttpsTrafficOnly: true
  }
}

resource kv 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: kvName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    enablePurgeProtection: true
  }
}

resource pg 'Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' = {
  name: pgName
  location: location
  tags: tags
  sku: {
    name: pgSkuName
    tier: pgSkuTier
  }
  properties: {
    version: '17'
    administratorLogin: pgAdminLogin
    administratorLoginPassword: pgAdminPassword
    authConfig: {
      passwordAuth: 'Enabled'
      activeDirectoryAuth: 'Enabled'
      tenantId: tenant().tenantId
    }
    storage: {
      storageSizeGB: 64
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 14
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: pgHighAvailability
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource pgDb 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2025-08-01' = {
  parent: pg
  name: pgDatabase
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// 0.0.0.0-0.0.0.0 means "Azure services"; replace with VNet integration + private access for a locked-down network.
resource pgAllowAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2025-08-01' = {
  parent: pg
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

// The DbUp bootstrap runs from the deployer's machine (azd hook or infra/rollout.sh), outside Azure.
resource pgAllowBootstrapClient 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2025-08-01' = if (!empty(bootstrapClientIp)) {
  parent: pg
  name: 'bootstrap-client'
  properties: {
    startIpAddress: bootstrapClientIp
    endIpAddress: bootstrapClientIp
  }
}

resource redis 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: redisName
  location: location
  tags: tags
  sku: {
    name: 'Balanced_B0'
  }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: 'Enabled'
    publicNetworkAccess: 'Enabled' // required in this API version; 'Disabled' + private endpoint for a locked-down network
  }
}

resource redisDb 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: redis
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: redisPort
    clusteringPolicy: 'OSSCluster'
    evictionPolicy: 'NoEviction' // never evict: wake signals and caches must not vanish under memory pressure
    accessKeysAuthentication: 'Enabled'
  }
}

// ---- secrets: values come only from @secure() parameters or list*() calls, never from literals ----

resource secPgPassword 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: kv
  name: 'pg-admin-password' // read back by azd's secretOrRandomPassword on the next provision
  properties: {
    value: pgAdminPassword
  }
}

resource secDb 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: kv
  name: 'dw-db-connection'
  properties: {
    value: 'Host=${pg.properties.fullyQualifiedDomainName};Port=5432;Database=${pgDatabase};Username=${pgAdminLogin};Password=${pgAdminPassword};SSL Mode=Require'
  }
}

resource secRedis 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: kv
  name: 'dw-redis-connection'
  properties: {
    value: '${redis.properties.hostName}:${redisPort},password=${redisDb.listKeys().primaryKey},ssl=True,abortConnect=False'
  }
}

resource secWorkerToken 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: kv
  name: 'dw-worker-token'
  properties: {
    value: workerToken
  }
}

resource secOperatorToken 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: kv
  name: 'dw-operator-token'
  properties: {
    value: operatorToken
  }
}

resource secAdminToken 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: kv
  name: 'dw-admin-token'
  properties: {
    value: adminToken
  }
}

resource secContent 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: kv
  name: 'content-share-connection'
  properties: {
    value: 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'
  }
}

// ---- role assignments ----

var roles = {
  kvSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  metricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource raKv 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: kv
  name: guid(kv.id, uami.id, roles.kvSecretsUser)
  properties: {
    principalId: uami.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.kvSecretsUser)
  }
}

resource raDeployerKv 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  scope: kv
  name: guid(kv.id, principalId, roles.kvSecretsUser)
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.kvSecretsUser)
  }
}

// Timer singletons and host locks live in blobs (Blob Data Owner); diagnostic events in tables.
resource raStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for r in [
    roles.blobDataOwner
    roles.queueDataContributor
    roles.tableDataContributor
  ]: {
    scope: storage
    name: guid(storage.id, uami.id, r)
    properties: {
      principalId: uami.properties.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', r)
    }
  }
]

resource raAppi 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: appi
  name: guid(appi.id, uami.id, roles.metricsPublisher)
  properties: {
    principalId: uami.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.metricsPublisher)
  }
}

// ---- compute ----

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: 'plan-wf-${suffix}'
  location: location
  tags: tags
  kind: 'elastic'
  sku: {
    name: 'EP1'
    tier: 'ElasticPremium'
  }
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: 10
  }
}

func toAppSettings(settings object) array => map(items(settings), i => { name: i.key, value: i.value })

func kvRef(secretUri string) string => '@Microsoft.KeyVault(SecretUri=${secretUri})'

// Swapped with the code (NOT sticky). WEBSITE_CONTENTSHARE is deliberately absent: the platform generates one per slot.
// DW_SERVER_BUILD_ID is deliberately absent: infra/rollout.sh sets it on the staging slot and package.sh stamps the
// same id into the assemblies, so a re-provision that drops the setting still advertises the right build.
var commonSettings = {
  FUNCTIONS_EXTENSION_VERSION: '~4'
  FUNCTIONS_WORKER_RUNTIME: 'dotnet-isolated'
  // The package is framework-dependent (worker.config.json runs `dotnet DurableWorkflow.Functions.dll`), so the host
  // may pre-start the worker from the stack's runtime and specialise it; a version mismatch only means a normal start.
  WEBSITE_USE_PLACEHOLDER_DOTNETISOLATED: '1'
  WEBSITE_RUN_FROM_PACKAGE: '1'
  SCM_DO_BUILD_DURING_DEPLOYMENT: 'false'
  ENABLE_ORYX_BUILD: 'false'
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: uami.properties.clientId
  WEBSITE_CONTENTAZUREFILECONNECTIONSTRING: kvRef(secContent.properties.secretUri)
  WEBSITE_SKIP_CONTENTSHARE_VALIDATION: '1'
  APPLICATIONINSIGHTS_CONNECTION_STRING: appi.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${uami.properties.clientId};Authorization=AAD'
  AZURE_CLIENT_ID: uami.properties.clientId
  WEBSITE_SWAP_WARMUP_PING_PATH: '/api/ready'
  WEBSITE_SWAP_WARMUP_PING_STATUSES: '200'
  WEBSITE_HEALTHCHECK_MAXPINGFAILURES: '3'
  SCHEDULER_CRON: schedulerCron
  DW_DB_CONNECTION: kvRef(secDb.properties.secretUri)
  DW_REDIS_CONNECTION: kvRef(secRedis.properties.secretUri)
  DW_AUTH_DRIVER: 'token'
  DW_WORKER_TOKEN: kvRef(secWorkerToken.properties.secretUri)
  DW_OPERATOR_TOKEN: kvRef(secOperatorToken.properties.secretUri)
  DW_ADMIN_TOKEN: kvRef(secAdminToken.properties.secretUri)
  DW_DEFAULT_NAMESPACE: 'default'
  DW_V2_MULTI_NODE: 'true'
  // The `azure` external payload storage driver: identity-based (the identity is Blob Data Owner on this account).
  DW_STORAGE_AZURE_ACCOUNT_URI: storage.properties.primaryEndpoints.blob
  DW_STORAGE_AZURE_CLIENT_ID: uami.properties.clientId
}

// Sticky (slotConfigNames): one value per slot, never swapped. The staging slot never fires schedules:
// its timer function is disabled and its scheduler switch is off. Pinned host ids keep the timer lease per slot.
var prodSticky = {
  AzureFunctionsWebHost__hostid: 'wf-${suffix}-prod'
  AzureWebJobs_SchedulerTick_Disabled: 'false'
  DW_SCHEDULER_ENABLED: 'true'
}
var stagingSticky = {
  AzureFunctionsWebHost__hostid: 'wf-${suffix}-stg'
  AzureWebJobs_SchedulerTick_Disabled: 'true'
  DW_SCHEDULER_ENABLED: 'false'
}

var siteConfigCommon = {
  linuxFxVersion: 'DOTNET-ISOLATED|10.0' // the stack provides the .NET 10 and ASP.NET Core runtimes the worker runs on
  healthCheckPath: '/api/ready'
  functionAppScaleLimit: 10
  ftpsState: 'Disabled'
  minTlsVersion: '1.2'
  http20Enabled: false
  use32BitWorkerProcess: false
}

resource app 'Microsoft.Web/sites@2025-03-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${uami.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    reserved: true
    httpsOnly: true
    clientAffinityEnabled: false
    keyVaultReferenceIdentity: uami.id
    siteConfig: union(siteConfigCommon, {
      minimumElasticInstanceCount: productionMinimumInstances
      appSettings: toAppSettings(union(commonSettings, prodSticky))
    })
  }
  dependsOn: [
    raKv
    raStorage
    raAppi
  ]
}

resource stickyNames 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: app
  name: 'slotConfigNames'
  properties: {
    appSettingNames: objectKeys(prodSticky)
  }
}

resource staging 'Microsoft.Web/sites/slots@2025-03-01' = {
  parent: app
  name: 'staging'
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${uami.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    reserved: true
    httpsOnly: true
    clientAffinityEnabled: false
    keyVaultReferenceIdentity: uami.id
    siteConfig: union(siteConfigCommon, {
      minimumElasticInstanceCount: 1
      appSettings: toAppSettings(union(commonSettings, stagingSticky))
    })
  }
  dependsOn: [
    stickyNames
  ]
}

output functionAppName string = app.name
output productionHostName string = app.properties.defaultHostName
output stagingHostName string = staging.properties.defaultHostName
output postgresHost string = pg.properties.fullyQualifiedDomainName
output postgresServerName string = pg.name
output postgresDatabase string = pgDb.name
output redisHost string = redis.properties.hostName
output keyVaultName string = kv.name
output identityClientId string = uami.properties.clientId
