package check

// ForgetDecoded empties the cache of decoded resources, so the next
// evaluation decodes everything as if the process had just started (the
// property test's reference evaluation keeps nothing between runs).
func (s *Service) ForgetDecoded() {
	s.cache.mu.Lock()
	s.cache.byID = nil
	s.cache.mu.Unlock()
}
