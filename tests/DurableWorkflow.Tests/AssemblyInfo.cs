// The suite runs the real services of the product (PostgreSQL, Redis, shell scripts), which exist only on Linux here.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
