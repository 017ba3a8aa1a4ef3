namespace Conditioning.Pipelines;
