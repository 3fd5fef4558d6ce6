namespace DurableWorkflow.Core.Configuration;

/// <summary>A setting is missing or malformed; the message names the setting so start-up can fail with one line.</summary>
public sealed class ConfigurationException(string message) : Exception(message);
