// DurableWorkflow.NET production shape: subscription scope, one resource group, everything else in resources.bicep.
// azd fills the parameters from infra/main.parameters.json; no secret has a default here.
targetScope = 'subscription'

@minLength(1)
@maxLength(20)
@description('azd environment name; also seeds the unique resource-name token.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('PostgreSQL administrator login (not a secret).')
param pgAdminLogin string = 'wfadmin'

@secure()
@description('PostgreSQL administrator password. azd supplies it via secretOrRandomPassword; never give it a default.')
param pgAdminPassword string

@secure()
@description('Bearer token for the worker role (DW_WORKER_TOKEN).')
param workerToken string

@secure()
@description('Bearer token for the operator role (DW_OPERATOR_TOKEN); the rollout script reads it back to call /api/cluster/info.')
param operatorToken string

@secure()
@description('Bearer token for the admin role (DW_ADMIN_TOKEN).')
param adminToken string

@description('Object id of the deploying user or pipeline principal (azd fills AZURE_PRINCIPAL_ID); gets Key Vault secret read access for the hooks and the rollout script.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Public IPv4 address of the machine that runs the DbUp bootstrap (hooks, rollout script). Empty = no client firewall rule.')
param bootstrapClientIp string = ''

@minValue(1)
@maxValue(20)
@description('Always-ready EP instances in production. Health check only routes around a bad instance when there are at least two.')
param productionMinimumInstances int = 2

@description('NCRONTAB (six fields, UTC) for the SchedulerTick timer function; it is only a wake-up call, the tick itself is idempotent.')
param schedulerCron string = '*/10 * * * * *'

var tags = {
  'azd-env-name': environmentName
}

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  name: 'durableworkflow-resources'
  scope: rg
  params: {
    environmentName: environmentName
    location: location
    tags: tags
    pgAdminLogin: pgAdminLogin
    pgAdminPassword: pgAdminPassword
    workerToken: workerToken
    operatorToken: operatorToken
    adminToken: adminToken
    principalId: principalId
    principalType: principalType
    bootstrapClientIp: bootstrapClientIp
    productionMinimumInstances: productionMinimumInstances
    schedulerCron: schedulerCron
  }
}

// azd writes these into .azure/<env>/.env; hooks and infra/rollout.sh read them as environment variables.
output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output FUNCTION_APP_NAME string = resources.outputs.functionAppName
output FUNCTION_APP_HOST string = resources.outputs.productionHostName
output FUNCTION_APP_STAGING_HOST string = resources.outputs.stagingHostName
output POSTGRES_HOST string = resources.outputs.postgresHost
output POSTGRES_SERVER_NAME string = resources.outputs.postgresServerName
output POSTGRES_DATABASE string = resources.outputs.postgresDatabase
output REDIS_HOST string = resources.outputs.redisHost
output AZURE_KEY_VAULT_NAME string = resources.outputs.keyVaultName
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = resources.outputs.identityClientId
