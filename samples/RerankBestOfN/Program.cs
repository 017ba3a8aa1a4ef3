// Generate N candidates for a prompt and keep the one CLIP scores highest.
//   dotnet run --project samples/RerankBestOfN -- [model folder] [clip folder] [output.png] [N]
return await Samples.RerankBestOfN.RunAsync(args);
