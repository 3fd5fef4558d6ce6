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

        RandomBytes.Fill(bytes[6..]);
        return Encode(bytes);
    }

    /// <summary>
    /// Cryptographic random bytes handed out from a per-thread block: each <see cref="RandomNumberGenerator.Fill"/>
    /// call enters OpenSSL's generator at a fixed cost, and with every id asking for its own 10 bytes OpenSSL took
    /// 2.8 % of a loaded server's CPU, its random generator most of it. A block belongs to one thread, so no two ids
    /// take the same bytes.
    /// </summary>
    private static class RandomBytes
    {
        private const int BlockSize = 1024;

        [ThreadStatic]
        private static byte[]? block;

        [ThreadStatic]
        private static int used;

        public static void Fill(Span<byte> destination)
        {
            if (block is null || used + destination.Length > BlockSize)
            {
                block ??= new byte[BlockSize];
                RandomNumberGenerator.Fill(block);
                used = 0;
            }

            block.AsSpan(used, destination.Length).CopyTo(destination);
            used += destination.Length;
        }
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
