namespace Conditioning.Weighting;

/// <summary>The shape of a row-major hidden-state tensor: <c>Sequences × Tokens × Channels</c> floats.</summary>
/// <param name="Sequences">The number of encoded sequences (batch, or chunks encoded together).</param>
/// <param name="Tokens">Positions per sequence (77 for a CLIP chunk).</param>
/// <param name="Channels">Values per position (768 for CLIP-L, 1280 for CLIP-G, 4096 for T5-XXL).</param>
public readonly record struct EmbeddingShape(int Sequences, int Tokens, int Channels)
{
    /// <summary>The number of floats, <c>Sequences · Tokens · Channels</c>.</summary>
    public int Length => checked(Sequences * Tokens * Channels);

    /// <summary>The number of positions, <c>Sequences · Tokens</c> (the length of a per-token weight span).</summary>
    public int Positions => checked(Sequences * Tokens);

    /// <summary>Throws unless <paramref name="values"/> and <paramref name="weights"/> match this shape.</summary>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    internal void Check(int values, int weights)
    {
        if (Sequences < 1 || Tokens < 1 || Channels < 1)
        {
            throw new ArgumentException($"Shape {this} must be positive in every dimension.");
        }

        if (values != Length)
        {
            throw new ArgumentException($"The embedding holds {values} floats but the shape {this} needs {Length}.");
        }

        if (weights != Positions)
        {
            throw new ArgumentException($"There are {weights} weights but the shape {this} has {Positions} positions; pass one weight per token.");
        }
    }
}
