notify { 'valid-full': }
