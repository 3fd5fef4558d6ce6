using System.Security.Cryptography;

namespace DurableWorkflow.Core.Engine;

/// <summary>
/// Lower-case 26-character ULIDs for run, task, event and command ids: time-ordered (48-bit milliseconds) so
/// <c>ORDER BY id</c> follows creation, and random (80 bits) so nodes never coordinate.
/// </summary>
public static class Ulid
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public static string NewId() => Create(DateTimeOffset.UtcNow);

    public static string Create(DateTimeOffset time)
    {
        Span<byte> bytes = stackalloc byte[16];
        var milliseconds = (ulong)time.ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)(milliseconds & 0xFF);
            milliseconds >>= 8;
        }

        RandomNumberGenerator.Fill(bytes[6..]);
        return Encode(bytes);
    }

    private static string Encode(ReadOnlySpan<byte> bytes)
    {
        // 128 bits as 26 base32 digits: the first digit carries the top 3 bits.
        var high = ((UInt128)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes) << 64)
                   | System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        Span<char> chars = stackalloc char[26];
        for (var i = 25; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(high & 31)];
            high >>= 5;
        }

        return new string(chars);
    }
}
