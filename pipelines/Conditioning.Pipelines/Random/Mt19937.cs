namespace Conditioning.Pipelines.Random;

/// <summary>The 32-bit Mersenne Twister (MT19937) with the standard seeding, as std::mt19937 and PyTorch's CPU generator use it.</summary>
/// <remarks>Not thread-safe.</remarks>
internal sealed class Mt19937
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] _state = new uint[N];
    private int _index;

    public Mt19937(ulong seed)
    {
        _state[0] = (uint)(seed & 0xFFFFFFFF);
        for (int i = 1; i < N; i++) _state[i] = (1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30))) + (uint)i;
        _index = N;
    }

    public uint NextUInt32()
    {
        if (_index >= N) Twist();
        uint y = _state[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C5680u;
        y ^= (y << 15) & 0xEFC60000u;
        y ^= y >> 18;
        return y;
    }

    private void Twist()
    {
        for (int i = 0; i < N; i++)
        {
            uint y = (_state[i] & 0x80000000u) | (_state[(i + 1) % N] & 0x7FFFFFFFu);
            uint next = _state[(i + M) % N] ^ (y >> 1);
            if ((y & 1) != 0) next ^= 0x9908B0DFu;
            _state[i] = next;
        }

        _index = 0;
    }
}
